package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/mgmt"
	"switchboard/backend/signin"
	"switchboard/backend/store"
	"switchboard/backend/transfer"
)

// Backups, restore, setup export/import and peer import for a running
// instance (or a CLI command's open one). A restore or an import changes
// the database under every cache, so each ends with reloadData.

// BackupCheckCap bounds the daily backup loop's sleep: monotonic timers
// stop while the machine sleeps, so a long sleep would make a backup due
// during a suspend late by the suspend's length. Four wake-ups a day.
var BackupCheckCap = 6 * time.Hour

const backupSettingsKey = "backups"

// backupKeep is how many backups are kept: the config file's backup_keep,
// else the stored setting, else the default.
func (in *Instance) backupKeep(ctx context.Context) int {
	if k := in.Config.BackupKeep; k != nil {
		return *k
	}
	var raw string
	if err := in.DB.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, backupSettingsKey).Scan(&raw); err == nil {
		var st struct{ Keep int }
		if json.Unmarshal([]byte(raw), &st) == nil && st.Keep > 0 {
			return st.Keep
		}
	}
	return store.DefaultBackupKeep
}

// runBackups writes the daily backup: it sleeps until the next one is due
// (a day after the newest backup of any kind) and wakes for nothing else.
func (in *Instance) runBackups(ctx context.Context) {
	if err := in.Backups.Rotate(in.backupKeep(ctx)); err != nil {
		in.log.Warn("old backups not rotated", "err", err)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		due := in.Backups.Newest().Add(24 * time.Hour)
		wait := time.Until(due)
		if wait <= 0 {
			_, err := in.Backups.Create(ctx, store.ReasonDaily, in.backupKeep(ctx))
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				continue
			}
			in.log.Warn("daily backup failed; retrying in an hour", "err", err)
			wait = time.Hour
		}
		t.Reset(min(wait, BackupCheckCap))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reloadData makes every cache read the database again after it was
// replaced or imported into: keys, sign-ins, routing, settings.
func (in *Instance) reloadData(ctx context.Context) {
	if err := in.Keys.Reload(ctx); err != nil {
		in.log.Warn("keys not reloaded", "err", err)
	}
	in.SignIns.Reloaded(ctx)
	if err := in.Reload(ctx); err != nil {
		in.log.Warn("some providers could not be loaded", "err", err)
	}
	if in.Services != nil {
		if st, err := mgmt.LoadSettings(ctx, in.DB); err == nil && in.Gateway != nil {
			in.Gateway.SetLogBodies(st.LogRequestBodies)
			in.Gateway.SetResponseCache(st.ResponseCache)
			in.applyReserve(st)
		}
	}
	in.seats.poke("")
	in.Bus.Publish(events.KeysChanged, nil)
	in.Bus.Publish(events.StatusChanged, nil)
}

// portable implements mgmt.Portable for an instance.
type portable struct{ in *Instance }

var _ mgmt.Portable = portable{}

// Portable returns the instance's backups and transfer operations.
func (in *Instance) Portable() mgmt.Portable { return portable{in} }

func (p portable) settings(ctx context.Context) mgmt.BackupSettings {
	return mgmt.BackupSettings{Keep: p.in.backupKeep(ctx), KeepFromConfig: p.in.Config.BackupKeep != nil, Folder: p.in.Backups.Dir()}
}

func (p portable) Backups(ctx context.Context) (mgmt.BackupList, error) {
	l, err := p.in.Backups.List()
	return mgmt.BackupList{Backups: l, Settings: p.settings(ctx)}, err
}

func (p portable) CreateBackup(ctx context.Context) (store.BackupInfo, error) {
	return p.in.Backups.Create(ctx, store.ReasonManual, p.in.backupKeep(ctx))
}

func (p portable) RestoreBackup(ctx context.Context, name string) (mgmt.RestoreResult, error) {
	safety, err := p.in.Backups.Restore(ctx, name, p.in.backupKeep(ctx), func(ctx context.Context, restored *store.DB) error {
		return signin.KeepNewerTokens(ctx, p.in.DB, restored)
	})
	if err != nil {
		if errors.Is(err, store.ErrBackupRefused) || errors.Is(err, store.ErrBackupNotFound) {
			return mgmt.RestoreResult{}, fmt.Errorf("%w: %v", mgmt.ErrInvalid, trimStore(err))
		}
		return mgmt.RestoreResult{}, err
	}
	p.in.reloadData(ctx)
	p.in.log.Info("backup restored", "backup", name, "previous database kept as", safety.Name)
	return mgmt.RestoreResult{Restored: name, Safety: safety}, nil
}

func trimStore(err error) string {
	msg := err.Error()
	for _, pre := range []string{"store: backup refused: ", "store: no such backup: ", "store: "} {
		if len(msg) > len(pre) && msg[:len(pre)] == pre {
			return msg[len(pre):]
		}
	}
	return msg
}

func (p portable) SaveBackupSettings(ctx context.Context, keep int) (mgmt.BackupSettings, error) {
	if keep < 1 || keep > store.MaxBackupKeep {
		return mgmt.BackupSettings{}, fmt.Errorf("%w: keep %d is not a number of backups from 1 to %d", mgmt.ErrInvalid, keep, store.MaxBackupKeep)
	}
	b, _ := json.Marshal(map[string]int{"keep": keep})
	if _, err := p.in.DB.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, backupSettingsKey, string(b), time.Now().Unix()); err != nil {
		return mgmt.BackupSettings{}, fmt.Errorf("core: backup settings: %w", err)
	}
	if err := p.in.Backups.Rotate(p.in.backupKeep(ctx)); err != nil {
		return mgmt.BackupSettings{}, err
	}
	return p.settings(ctx), nil
}

func (p portable) ExportSetup(ctx context.Context, passphrase string) ([]byte, error) {
	s, err := transfer.Read(ctx, p.in.DB, p.in.Sealer, Version)
	if err != nil {
		return nil, err
	}
	out, err := transfer.Seal(s, passphrase)
	if err != nil && len(passphrase) < transfer.MinPassphrase {
		return nil, fmt.Errorf("%w: the passphrase must be at least %d characters", mgmt.ErrInvalid, transfer.MinPassphrase)
	}
	return out, err
}

func (p portable) ImportSetup(ctx context.Context, req mgmt.SetupImport) (transfer.Report, error) {
	s, err := transfer.Open(req.Data, req.Passphrase)
	if err != nil {
		if errors.Is(err, transfer.ErrWrongPassphrase) || errors.Is(err, transfer.ErrNotExport) {
			return transfer.Report{}, fmt.Errorf("%w: %s", mgmt.ErrInvalid, trimTransfer(err))
		}
		return transfer.Report{}, err
	}
	found := fmt.Sprintf("Switchboard export (layout %d, database schema %d, made %s by %s)", s.Version, s.Schema, s.CreatedAt, s.App)
	return p.in.apply(ctx, s, transfer.Options{Replace: req.Replace, DryRun: req.DryRun, Source: "a Switchboard export", Found: found})
}

func trimTransfer(err error) string {
	msg := err.Error()
	const pre = "transfer: "
	for len(msg) > len(pre) && msg[:len(pre)] == pre {
		msg = msg[len(pre):]
	}
	return msg
}

// apply backs up (unless dry), applies in one transaction, reloads.
func (in *Instance) apply(ctx context.Context, s transfer.Setup, o transfer.Options) (transfer.Report, error) {
	var backup string
	if !o.DryRun {
		b, err := in.Backups.Create(ctx, store.ReasonPreImport, in.backupKeep(ctx))
		if err != nil {
			return transfer.Report{}, fmt.Errorf("core: the backup before importing failed, so nothing was imported: %w", err)
		}
		backup = b.Name
	}
	r, err := transfer.Apply(ctx, in.DB, in.Sealer, s, o)
	if err != nil {
		return r, err
	}
	r.Backup = backup
	if !o.DryRun {
		in.reloadData(ctx)
	}
	return r, nil
}

func (p portable) ExportConfig(ctx context.Context) (transfer.ConfigExport, error) {
	s, err := transfer.Read(ctx, p.in.DB, p.in.Sealer, Version)
	if err != nil {
		return transfer.ConfigExport{}, err
	}
	return transfer.ConfigYAML(s)
}

func (p portable) Peers() []transfer.PeerSource {
	home, _ := os.UserHomeDir()
	return transfer.Peers(home, os.Getenv)
}

func (p portable) ImportPeer(ctx context.Context, req mgmt.PeerImport) (transfer.Report, error) {
	return p.in.ImportPeer(ctx, req.Peer, req.Path, req.DryRun)
}

// ImportPeer previews or applies another gateway's setup.
func (in *Instance) ImportPeer(ctx context.Context, peer, path string, dryRun bool) (transfer.Report, error) {
	home, _ := os.UserHomeDir()
	s, found, where, err := transfer.ReadPeer(peer, path, home, os.Getenv)
	if err != nil {
		if errors.Is(err, transfer.ErrPeerFormat) || errors.Is(err, transfer.ErrUnknownPeer) {
			return transfer.Report{Source: peer, Path: where, Found: found}, fmt.Errorf("%w: %s", mgmt.ErrInvalid, trimTransfer(err))
		}
		return transfer.Report{}, err
	}
	return in.apply(ctx, s, transfer.Options{DryRun: dryRun, Source: peer, Path: where, Found: found})
}
