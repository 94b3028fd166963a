package app

import (
	"switchboard/backend/mgmt"
	"switchboard/backend/store"
	"switchboard/backend/transfer"
)

// ListBackups lists the database backups with the backup settings.
func (a *App) ListBackups() (mgmt.BackupList, error) { return a.svc.Backups(a.ctx) }

// CreateBackup writes a backup now.
func (a *App) CreateBackup() (store.BackupInfo, error) { return a.svc.CreateBackup(a.ctx) }

// RestoreBackup replaces the database with a backup.
func (a *App) RestoreBackup(name string) (mgmt.RestoreResult, error) {
	return a.svc.RestoreBackup(a.ctx, name)
}

// SaveBackupSettings sets how many backups are kept.
func (a *App) SaveBackupSettings(keep int) (mgmt.BackupSettings, error) {
	return a.svc.SaveBackupSettings(a.ctx, keep)
}

// ExportSetup encrypts the whole setup with a passphrase.
func (a *App) ExportSetup(passphrase string) (mgmt.SetupFile, error) {
	return a.svc.ExportSetupFile(a.ctx, passphrase)
}

// ImportSetup previews (dry run) or applies an encrypted export.
func (a *App) ImportSetup(in mgmt.SetupImport) (transfer.Report, error) {
	return a.svc.ImportSetup(a.ctx, in)
}

// ExportConfig renders the setup as a YAML config file.
func (a *App) ExportConfig() (transfer.ConfigExport, error) { return a.svc.ExportConfig(a.ctx) }

// ListImportSources lists the gateways Switchboard imports from.
func (a *App) ListImportSources() []transfer.PeerSource { return a.svc.PeerSources() }

// ImportPeer previews (dry run) or applies another gateway's setup.
func (a *App) ImportPeer(in mgmt.PeerImport) (transfer.Report, error) {
	return a.svc.ImportPeer(a.ctx, in)
}
