package gateway

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/media"
)

// DefaultMaxUpload bounds one multipart upload (config max_upload_mib):
// OpenAI's 25 MB audio limit.
const DefaultMaxUpload = 25 << 20

// uploadSlack is what a form may carry on top of its files (text fields,
// part headers): the size check of a declared length allows for it.
const uploadSlack = 2 << 20

// isUploadPath reports the multipart endpoints. Their bodies never enter
// the in-flight body budget nor the replay buffer: they are spooled to disk
// as they arrive (see media.Spool), whatever their size.
func isUploadPath(p string) bool {
	switch p {
	case "/v1/audio/transcriptions", "/v1/audio/translations", "/v1/images/edits":
		return true
	}
	return false
}

func (g *Gateway) errUploadTooLarge() *ir.Error {
	return &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("the upload is larger than %d MiB (max_upload_mib)", g.maxUpload>>20)}
}

// readUpload reads a multipart upload into a form (files spooled), or
// answers why it cannot in OpenAI's error shape: 400 for a body that is
// not a well-formed multipart form, 413 over the size limit, 408 when it
// stalls.
func (g *Gateway) readUpload(w http.ResponseWriter, r *http.Request) (*media.Form, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		refuse(w, r, dialect.OpenAIChat, ir.Errorf(ir.KindBadRequest,
			"this endpoint takes a multipart/form-data upload (Content-Type %q)", r.Header.Get("Content-Type")))
		return nil, false
	}
	if r.ContentLength > g.maxUpload+uploadSlack {
		refuse(w, r, dialect.OpenAIChat, g.errUploadTooLarge())
		return nil, false
	}
	body := http.MaxBytesReader(w, r.Body, g.maxUpload+uploadSlack)
	f, err := media.ReadForm(body, params["boundary"], g.spoolDir, media.DefaultSpoolMemory)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, dialect.OpenAIChat, g.errUploadTooLarge())
		case errors.Is(err, media.ErrBadForm):
			refuse(w, r, dialect.OpenAIChat, ir.Errorf(ir.KindBadRequest, "the upload is not a well-formed multipart form: %v", err))
		case errors.Is(err, os.ErrDeadlineExceeded):
			refuse(w, r, dialect.OpenAIChat, &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusRequestTimeout,
				Message: "the upload did not arrive in time (the connection stalled while sending it)"})
		default:
			refuse(w, r, dialect.OpenAIChat, ir.Errorf(ir.KindBadRequest, "could not read the upload: %v", err))
		}
		return nil, false
	}
	if f.Size() > g.maxUpload {
		f.Close()
		writeError(w, dialect.OpenAIChat, g.errUploadTooLarge())
		return nil, false
	}
	return f, true
}
