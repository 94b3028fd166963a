package ir

// SizeHint guesses how many bytes a JSON encoding of r takes, so encoders
// allocate their output once: a buffer grown by doubling allocates about
// twice the body, and agent requests run to megabytes.
func (r *Request) SizeHint() int {
	n := 512
	for i := range r.System {
		n += len(r.System[i].Text) + 16
	}
	for i := range r.Messages {
		for j := range r.Messages[i].Content {
			c := &r.Messages[i].Content[j]
			n += 48 + len(c.Text) + len(c.Input) + len(c.Data) + len(c.URL) + len(c.Signature)
			for k := range c.Content {
				n += 32 + len(c.Content[k].Text) + len(c.Content[k].Data)
			}
		}
	}
	for i := range r.Tools {
		t := &r.Tools[i]
		n += 64 + len(t.Description) + len(t.Parameters) + len(t.Raw)
	}
	return n + n/8 // headroom for escapes
}

// EncodeBuffer is the empty buffer an encoder appends the whole encoded
// request to: Scratch when it was given, else one of SizeHint bytes. An
// encoder calls it once, for its output only (a second buffer taken from
// it would share Scratch's memory).
func (r *Request) EncodeBuffer() []byte {
	if cap(r.Scratch) > 0 {
		return r.Scratch[:0]
	}
	return make([]byte, 0, r.SizeHint())
}
