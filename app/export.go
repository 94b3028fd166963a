package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"switchboard/backend/mgmt"
	"switchboard/backend/usage"
)

// exportLogsTo is the window's log export: the save dialog names the file,
// the rows stream into it (nothing is gathered in memory).
func exportLogsTo(ctx context.Context, svc *mgmt.Services, saveAs func(string) (string, error), f usage.Filter, format string) (string, error) {
	if format != usage.FormatCSV && format != usage.FormatJSONL {
		return "", fmt.Errorf("%w: format must be csv or jsonl", mgmt.ErrInvalid)
	}
	if saveAs == nil {
		return "", errors.New("no save dialog here: use GET /api/logs/export in a browser")
	}
	path, err := saveAs("switchboard-logs-" + time.Now().Format("20060102-150405") + "." + format)
	if err != nil || path == "" {
		return "", err
	}
	file, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := svc.ExportLogs(ctx, f, format, file); err != nil {
		file.Close()
		return "", err
	}
	return path, file.Close()
}
