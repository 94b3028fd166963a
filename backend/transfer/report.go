package transfer

import (
	"fmt"
	"strings"
)

// Actions of a report item.
const (
	ActCreate    = "create"    // will be (or was) created
	ActUpdate    = "update"    // exists; these fields change
	ActUnchanged = "unchanged" // exists as it would be imported
	ActSkip      = "skip"      // cannot be carried; Why says why
)

// Kinds of items.
const (
	KindProvider = "provider"
	KindAccount  = "account"
	KindSignIn   = "sign-in"
	KindCombo    = "combo"
	KindAlias    = "alias"
	KindKey      = "key"
	KindSetting  = "setting"
	KindTable    = "table"
)

// Item is one line of a report.
type Item struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Action  string   `json:"action"`
	Changes []string `json:"changes,omitempty"` // mapped with changes, or fields updated
	Why     string   `json:"why,omitempty"`
}

// Report says, per item, what an import does (or, dry, would do).
type Report struct {
	Source    string   `json:"source"`
	Path      string   `json:"path,omitempty"`
	Found     string   `json:"found,omitempty"` // the format and version found
	DryRun    bool     `json:"dryRun"`
	Replace   bool     `json:"replace,omitempty"`
	Items     []Item   `json:"items"`
	Notes     []string `json:"notes,omitempty"`
	Created   int      `json:"created"`
	Updated   int      `json:"updated"`
	Unchanged int      `json:"unchanged"`
	Skipped   int      `json:"skipped"`
	// Backup is the backup written before the import changed anything.
	Backup string `json:"backup,omitempty"`
}

func (r *Report) add(it Item) {
	r.Items = append(r.Items, it)
	switch it.Action {
	case ActCreate:
		r.Created++
	case ActUpdate:
		r.Updated++
	case ActUnchanged:
		r.Unchanged++
	case ActSkip:
		r.Skipped++
	}
}

// Text renders the report for a terminal (and the goldens).
func (r Report) Text() string {
	var b strings.Builder
	verb := "Importing"
	if r.DryRun {
		verb = "Dry run: nothing is written. Importing"
	}
	fmt.Fprintf(&b, "%s from %s", verb, r.Source)
	if r.Path != "" {
		fmt.Fprintf(&b, " (%s)", r.Path)
	}
	b.WriteString("\n")
	if r.Found != "" {
		fmt.Fprintf(&b, "Found: %s\n", r.Found)
	}
	if r.Replace {
		b.WriteString("Mode: replace (the current setup is removed first)\n")
	}
	label := map[string]string{ActCreate: "will create", ActUpdate: "will update", ActUnchanged: "already here", ActSkip: "cannot carry"}
	if !r.DryRun {
		label = map[string]string{ActCreate: "created", ActUpdate: "updated", ActUnchanged: "already here", ActSkip: "not carried"}
	}
	for _, it := range r.Items {
		fmt.Fprintf(&b, "  %-13s %-9s %s", label[it.Action], it.Kind, it.Name)
		if len(it.Changes) > 0 {
			fmt.Fprintf(&b, " (maps with changes: %s)", strings.Join(it.Changes, "; "))
		}
		if it.Why != "" {
			fmt.Fprintf(&b, ": %s", it.Why)
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	fmt.Fprintf(&b, "%d to create, %d to update, %d already here, %d cannot be carried\n", r.Created, r.Updated, r.Unchanged, r.Skipped)
	if r.Backup != "" {
		fmt.Fprintf(&b, "A backup was written first: %s\n", r.Backup)
	}
	return b.String()
}
