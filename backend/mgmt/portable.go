package mgmt

import (
	"context"
	"errors"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/store"
	"switchboard/backend/transfer"
)

// Backups, export/import of the whole setup, the config-file export and the
// import from other gateways. The work is the instance's (package core,
// which owns the database handle and the caches a restore must reload);
// these methods are the one contract both transports call.

// BackupSettings are the backup settings.
type BackupSettings struct {
	Keep           int    `json:"keep"`
	KeepFromConfig bool   `json:"keepFromConfig"` // the config file's backup_keep wins
	Folder         string `json:"folder"`
}

// BackupList is the Settings section's view.
type BackupList struct {
	Backups  []store.BackupInfo `json:"backups"`
	Settings BackupSettings     `json:"settings"`
}

// RestoreResult names the backup restored and the one written before.
type RestoreResult struct {
	Restored string           `json:"restored"`
	Safety   store.BackupInfo `json:"safety"`
}

// SetupImport is an encrypted export to import.
type SetupImport struct {
	Data       []byte `json:"data"` // the file (base64 in JSON)
	Passphrase string `json:"passphrase"`
	Replace    bool   `json:"replace"`
	DryRun     bool   `json:"dryRun"`
}

// PeerImport asks for another gateway's setup.
type PeerImport struct {
	Peer   string `json:"peer"`
	Path   string `json:"path"` // "" = where that tool keeps it by default
	DryRun bool   `json:"dryRun"`
}

// Portable is implemented by the running instance.
type Portable interface {
	Backups(ctx context.Context) (BackupList, error)
	CreateBackup(ctx context.Context) (store.BackupInfo, error)
	RestoreBackup(ctx context.Context, name string) (RestoreResult, error)
	SaveBackupSettings(ctx context.Context, keep int) (BackupSettings, error)
	ExportSetup(ctx context.Context, passphrase string) ([]byte, error)
	ImportSetup(ctx context.Context, in SetupImport) (transfer.Report, error)
	ExportConfig(ctx context.Context) (transfer.ConfigExport, error)
	Peers() []transfer.PeerSource
	ImportPeer(ctx context.Context, in PeerImport) (transfer.Report, error)
}

var errNoPortable = errors.New("mgmt: backups and transfer are not available here")

// SetPortable wires the instance's backups and transfer.
func (s *Services) SetPortable(p Portable) { s.portable = p }

func (s *Services) port() (Portable, error) {
	if s.portable == nil {
		return nil, errNoPortable
	}
	return s.portable, nil
}

// Backups lists the backups, newest first, with the settings.
func (s *Services) Backups(ctx context.Context) (BackupList, error) {
	p, err := s.port()
	if err != nil {
		return BackupList{}, err
	}
	return p.Backups(ctx)
}

// CreateBackup writes a backup now.
func (s *Services) CreateBackup(ctx context.Context) (store.BackupInfo, error) {
	p, err := s.port()
	if err != nil {
		return store.BackupInfo{}, err
	}
	return p.CreateBackup(ctx)
}

// RestoreBackup replaces the database with a backup (the current one is
// backed up first) and reloads everything that caches it.
func (s *Services) RestoreBackup(ctx context.Context, name string) (RestoreResult, error) {
	p, err := s.port()
	if err != nil {
		return RestoreResult{}, err
	}
	res, err := p.RestoreBackup(ctx, name)
	if err == nil {
		s.setupChanged()
	}
	return res, err
}

// SaveBackupSettings sets how many backups are kept.
func (s *Services) SaveBackupSettings(ctx context.Context, keep int) (BackupSettings, error) {
	p, err := s.port()
	if err != nil {
		return BackupSettings{}, err
	}
	return p.SaveBackupSettings(ctx, keep)
}

// ExportSetup writes the whole setup encrypted with passphrase.
func (s *Services) ExportSetup(ctx context.Context, passphrase string) ([]byte, error) {
	p, err := s.port()
	if err != nil {
		return nil, err
	}
	return p.ExportSetup(ctx, passphrase)
}

// SetupFile is an export with the name to save it under.
type SetupFile struct {
	Name string `json:"name"`
	Data []byte `json:"data"` // base64 in JSON
}

// ExportSetupFile is ExportSetup with a file name, for the dashboard.
func (s *Services) ExportSetupFile(ctx context.Context, passphrase string) (SetupFile, error) {
	data, err := s.ExportSetup(ctx, passphrase)
	if err != nil {
		return SetupFile{}, err
	}
	return SetupFile{Name: "switchboard-setup-" + time.Now().UTC().Format("20060102") + ".age", Data: data}, nil
}

// ImportSetup previews (dry run) or applies an export.
func (s *Services) ImportSetup(ctx context.Context, in SetupImport) (transfer.Report, error) {
	p, err := s.port()
	if err != nil {
		return transfer.Report{}, err
	}
	r, err := p.ImportSetup(ctx, in)
	if err == nil && !in.DryRun {
		s.setupChanged()
	}
	return r, err
}

// ExportConfig renders the setup as a YAML config file.
func (s *Services) ExportConfig(ctx context.Context) (transfer.ConfigExport, error) {
	p, err := s.port()
	if err != nil {
		return transfer.ConfigExport{}, err
	}
	return p.ExportConfig(ctx)
}

// PeerSources lists the gateways Switchboard imports from and whether
// their setup is at its default place here.
func (s *Services) PeerSources() []transfer.PeerSource {
	p, err := s.port()
	if err != nil {
		return []transfer.PeerSource{}
	}
	return p.Peers()
}

// ImportPeer previews (dry run) or applies another gateway's setup.
func (s *Services) ImportPeer(ctx context.Context, in PeerImport) (transfer.Report, error) {
	p, err := s.port()
	if err != nil {
		return transfer.Report{}, err
	}
	r, err := p.ImportPeer(ctx, in)
	if err == nil && !in.DryRun {
		s.setupChanged()
	}
	return r, err
}

// setupChanged tells live views that keys, providers and settings may all
// have changed.
func (s *Services) setupChanged() {
	s.bus.Publish(events.KeysChanged, nil)
	s.bus.Publish(events.StatusChanged, nil)
}
