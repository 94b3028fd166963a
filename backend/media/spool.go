package media

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
)

// DefaultSpoolMemory is how much of one upload a Spool keeps in memory
// before it moves to a temp file.
const DefaultSpoolMemory = 1 << 20

// Spool holds one uploaded file: in memory up to its memory bound, in a
// temp file beyond. It can be read any number of times (a fallback sends
// the upload again), and Close removes what it kept.
type Spool struct {
	dir    string
	memMax int
	mem    []byte
	f      *os.File
	size   int64
}

// NewSpool keeps up to memMax bytes in memory, the rest in dir ("" = the
// system's temp dir).
func NewSpool(dir string, memMax int) *Spool { return &Spool{dir: dir, memMax: memMax} }

// Write appends p.
func (s *Spool) Write(p []byte) (int, error) {
	if s.f == nil && len(s.mem)+len(p) <= s.memMax {
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "switchboard-upload-*")
		if err != nil {
			return 0, fmt.Errorf("media: spool to disk: %w", err)
		}
		if runtime.GOOS != "windows" {
			_ = os.Remove(f.Name()) // gone with the last descriptor, even after a crash
		}
		if _, err := f.Write(s.mem); err != nil {
			s.closeFile(f)
			return 0, fmt.Errorf("media: spool to disk: %w", err)
		}
		s.f, s.mem = f, nil
	}
	n, err := s.f.Write(p)
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("media: spool to disk: %w", err)
	}
	return n, nil
}

// Size is the number of bytes held.
func (s *Spool) Size() int64 { return s.size }

// OnDisk reports whether the bytes moved to a temp file.
func (s *Spool) OnDisk() bool { return s.f != nil }

// Reader reads the bytes from the start; readers are independent.
func (s *Spool) Reader() io.Reader {
	if s.f != nil {
		return io.NewSectionReader(s.f, 0, s.size)
	}
	return bytes.NewReader(s.mem)
}

// ReaderAt reads the bytes at any offset.
func (s *Spool) ReaderAt() io.ReaderAt {
	if s.f != nil {
		return s.f
	}
	return bytes.NewReader(s.mem)
}

// Bytes returns the whole content (a copy when it is on disk); max bounds
// what the caller is ready to hold.
func (s *Spool) Bytes(max int64) ([]byte, error) {
	if s.size > max {
		return nil, fmt.Errorf("media: %d bytes is more than the %d this upstream takes inline", s.size, max)
	}
	if s.f == nil {
		return s.mem, nil
	}
	b := make([]byte, s.size)
	_, err := io.ReadFull(s.Reader(), b)
	return b, err
}

// Close drops the bytes (and the temp file).
func (s *Spool) Close() error {
	s.mem = nil
	if s.f != nil {
		s.closeFile(s.f)
		s.f = nil
	}
	return nil
}

func (s *Spool) closeFile(f *os.File) {
	_ = f.Close()
	if runtime.GOOS == "windows" {
		_ = os.Remove(f.Name())
	}
}
