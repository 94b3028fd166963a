package media

import (
	"encoding/binary"
	"io"
	"strconv"
	"strings"
)

// Gemini speaks 16-bit little-endian mono PCM at 24 kHz (mime
// "audio/L16;codec=pcm;rate=24000"), as OpenAI's response_format pcm does.
const (
	pcmRate     = 24000
	pcmChannels = 1
	pcmBits     = 16
	// PCMMime is how a Gemini answer (and a Gemini client) labels it.
	PCMMime = "audio/L16;codec=pcm;rate=24000"
)

// PCMRate reads the sample rate of a raw PCM media type (audio/L16,
// audio/pcm); ok is false for any other type.
func PCMRate(mime string) (rate int, ok bool) {
	base, params, _ := strings.Cut(strings.ToLower(mime), ";")
	base = strings.TrimSpace(base)
	if base != "audio/l16" && base != "audio/pcm" {
		return 0, false
	}
	rate = pcmRate
	for _, p := range strings.Split(params, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == "rate" {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				rate = n
			}
		}
	}
	return rate, true
}

// WAV wraps 16-bit mono PCM in a RIFF/WAVE header.
func WAV(pcm []byte, rate int) []byte {
	const header = 44
	out := make([]byte, header, header+len(pcm))
	byteRate := rate * pcmChannels * pcmBits / 8
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+len(pcm)))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16) // fmt chunk size
	binary.LittleEndian.PutUint16(out[20:], 1)  // PCM
	binary.LittleEndian.PutUint16(out[22:], pcmChannels)
	binary.LittleEndian.PutUint32(out[24:], uint32(rate))
	binary.LittleEndian.PutUint32(out[28:], uint32(byteRate))
	binary.LittleEndian.PutUint16(out[32:], pcmChannels*pcmBits/8)
	binary.LittleEndian.PutUint16(out[34:], pcmBits)
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(len(pcm)))
	return append(out, pcm...)
}

// WAVSeconds reads the length of a WAV file from its header (the fmt
// chunk's byte rate and the data chunk's size); ok is false for anything
// that is not a readable WAV.
func WAVSeconds(r io.ReaderAt, size int64) (float64, bool) {
	var hdr [12]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil || string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return 0, false
	}
	var byteRate uint32
	for off := int64(12); off+8 <= size; {
		var ch [8]byte
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return 0, false
		}
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch string(ch[0:4]) {
		case "fmt ":
			var f [16]byte
			if _, err := r.ReadAt(f[:], off+8); err != nil {
				return 0, false
			}
			byteRate = binary.LittleEndian.Uint32(f[8:])
		case "data":
			if byteRate == 0 {
				return 0, false
			}
			n = min(n, size-off-8) // a streamed WAV may say 0xFFFFFFFF
			return float64(n) / float64(byteRate), true
		}
		off += 8 + n + n&1
	}
	return 0, false
}
