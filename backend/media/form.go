package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"
)

// maxFieldBytes bounds the text fields of one form, together (prompts are
// the long ones: 32,000 characters for GPT Image).
const maxFieldBytes = 1 << 20

// Field is a text field of a multipart form.
type Field struct{ Name, Value string }

// File is a file part of a multipart form, its bytes in a Spool.
type File struct {
	Field, Filename, ContentType string
	Data                         *Spool
}

// Form is a multipart upload read once: text fields in memory, files in
// spools, all in their original order (part keeps it).
type Form struct {
	Fields []Field
	Files  []File
	order  []partRef
}

type partRef struct {
	file bool
	i    int
}

// ErrBadForm marks a malformed upload (the client's fault: 400).
var ErrBadForm = errors.New("malformed multipart body")

// ReadForm reads a multipart body: text fields into memory (1 MiB in all),
// files into spools that keep memMax bytes each in memory and the rest in
// dir. Errors of the body reader (a size limit) come back wrapped; a
// malformed body is ErrBadForm. On error nothing is left behind.
func ReadForm(body io.Reader, boundary, dir string, memMax int) (*Form, error) {
	f := &Form{}
	mr := multipart.NewReader(body, boundary)
	fieldBytes := 0
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			f.Close()
			return nil, readErr(err)
		}
		name := p.FormName()
		if p.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(p, int64(maxFieldBytes-fieldBytes)+1))
			fieldBytes += len(b)
			if err == nil && fieldBytes > maxFieldBytes {
				err = fmt.Errorf("%w: text fields are longer than %d bytes", ErrBadForm, maxFieldBytes)
			}
			if err != nil {
				f.Close()
				return nil, readErr(err)
			}
			f.order = append(f.order, partRef{i: len(f.Fields)})
			f.Fields = append(f.Fields, Field{Name: name, Value: string(b)})
			continue
		}
		sp := NewSpool(dir, memMax)
		if _, err := io.Copy(sp, p); err != nil {
			sp.Close()
			f.Close()
			return nil, readErr(err)
		}
		f.order = append(f.order, partRef{file: true, i: len(f.Files)})
		f.Files = append(f.Files, File{Field: name, Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: sp})
	}
}

// readErr keeps a body reader's own error (size limit, cut connection)
// and marks multipart syntax errors as the client's.
func readErr(err error) error {
	var me interface{ MaxBytesLimit() int64 }
	if errors.Is(err, ErrBadForm) || errors.As(err, &me) {
		return err
	}
	if strings.HasPrefix(err.Error(), "multipart: ") || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v", ErrBadForm, err)
	}
	return err
}

// Value is the first text field called name ("" when absent).
func (f *Form) Value(name string) string {
	for _, x := range f.Fields {
		if x.Name == name {
			return x.Value
		}
	}
	return ""
}

// Has reports a text field called name.
func (f *Form) Has(name string) bool {
	for _, x := range f.Fields {
		if x.Name == name {
			return true
		}
	}
	return false
}

// FilesNamed lists the file parts of the given fields (image, image[]…).
func (f *Form) FilesNamed(names ...string) []File {
	var out []File
	for _, x := range f.Files {
		for _, n := range names {
			if x.Field == n {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// Size is the bytes of every file.
func (f *Form) Size() int64 {
	var n int64
	for _, x := range f.Files {
		n += x.Data.Size()
	}
	return n
}

// Close drops every spool.
func (f *Form) Close() {
	for _, x := range f.Files {
		x.Data.Close()
	}
}

// Body is the form encoded again for an upstream: the same parts in the
// same order, the fields in set replaced (or added first when absent). Open
// returns a fresh reader over it each time (the files are read from their
// spools, never copied) with its exact length.
type Body struct {
	segments []segment
	size     int64
	// ContentType is multipart/form-data with the body's boundary.
	ContentType string
}

type segment struct {
	b    []byte
	file *Spool
}

// Encode builds the upstream body.
func (f *Form) Encode(set map[string]string) (*Body, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	body := &Body{ContentType: mw.FormDataContentType()}
	done := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if !f.Has(k) {
			if err := mw.WriteField(k, set[k]); err != nil {
				return nil, err
			}
			done[k] = true
		}
	}
	for _, ref := range f.order {
		if !ref.file {
			fd := f.Fields[ref.i]
			v, ok := set[fd.Name]
			switch {
			case ok && done[fd.Name]:
				continue // a repeated field already replaced
			case ok:
				done[fd.Name] = true
			default:
				v = fd.Value
			}
			if err := mw.WriteField(fd.Name, v); err != nil {
				return nil, err
			}
			continue
		}
		file := f.Files[ref.i]
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, escapeQuotes(file.Field), escapeQuotes(file.Filename)))
		ct := file.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		if _, err := mw.CreatePart(h); err != nil {
			return nil, err
		}
		body.add(bytes.Clone(buf.Bytes()), nil)
		buf.Reset()
		body.add(nil, file.Data)
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	body.add(bytes.Clone(buf.Bytes()), nil)
	return body, nil
}

func (b *Body) add(p []byte, s *Spool) {
	if s != nil {
		b.size += s.Size()
	} else {
		b.size += int64(len(p))
	}
	b.segments = append(b.segments, segment{b: p, file: s})
}

// Open returns a reader over the whole body and its length.
func (b *Body) Open() (io.Reader, int64, error) {
	rs := make([]io.Reader, len(b.segments))
	for i, s := range b.segments {
		if s.file != nil {
			rs[i] = s.file.Reader()
		} else {
			rs[i] = bytes.NewReader(s.b)
		}
	}
	return io.MultiReader(rs...), b.size, nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }
