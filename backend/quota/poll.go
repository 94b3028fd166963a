package quota

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"switchboard/backend/ir"
	"switchboard/backend/provider"
)

// Fetcher reads one account's windows from its vendor's usage endpoint.
// Each vendor lives in one file that registers its Fetcher in init
// (claude.go, codex.go, google.go, kiro.go, copilot.go); a provider without one is known from headers and
// errors only.
type Fetcher interface {
	// Fetch asks the endpoint with the sign-in's access through send. The
	// endpoint's URL derives from the provider's base URL (or the one the
	// sign-in names), so a config file pointing the provider elsewhere
	// points its usage endpoint there too.
	Fetch(ctx context.Context, send Sender, e *provider.Entry, acc provider.Access, now time.Time) ([]Window, error)
}

// signedInFetcher marks a Fetcher whose endpoint takes the sign-in's own
// access rather than the token the vendor trades it for (Copilot).
type signedInFetcher interface{ signedIn() }

// SignedInCredential is a sign-in whose requests carry a token traded
// from the sign-in's own (GitHub's for Copilot). SignedInAccess returns
// the sign-in's own token, with BaseURL the API that issued it (the
// config's sign_in.api_url when set).
type SignedInCredential interface {
	SignedInAccess(ctx context.Context) (provider.Access, error)
}

// Sender performs one upstream call (provider.OpUsage) through the
// gateway's client: the dial guard, the vendor's identity headers and the
// token. It returns the body of a 2xx answer, or the classified *ir.Error.
type Sender func(ctx context.Context, call *provider.Call) ([]byte, error)

// ClientSender sends usage calls through c and reads at most 1 MiB of
// the answer.
func ClientSender(c *provider.Client) Sender {
	return func(ctx context.Context, call *provider.Call) ([]byte, error) {
		resp, err := c.Send(ctx, call)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(io.LimitReader(resp.Body, maxUsageBody))
	}
}

const maxUsageBody = 1 << 20

var fetchers = map[string]Fetcher{}

// Register adds a vendor's Fetcher for provider id (called from init).
func Register(providerID string, f Fetcher) { fetchers[providerID] = f }

// HasFetcher reports whether providerID's usage can be polled.
func HasFetcher(providerID string) bool { _, ok := fetchers[providerID]; return ok }

// Cadence is how often accounts are polled.
type Cadence struct {
	Idle      time.Duration // nobody used the account lately (default 15 min)
	Busy      time.Duration // an answer went through it within ActiveFor (1 min)
	Out       time.Duration // its plan is used up: watch for an early reset (5 min)
	ActiveFor time.Duration // how long after an answer it counts as busy (5 min)
	// BackoffCap bounds the back-off after failures, which starts at Busy
	// and doubles (30 min).
	BackoffCap time.Duration
	// Timeout bounds one poll (20 s).
	Timeout time.Duration
}

func (c Cadence) withDefaults() Cadence {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Idle, 15*time.Minute)
	def(&c.Busy, time.Minute)
	def(&c.Out, 5*time.Minute)
	def(&c.ActiveFor, 5*time.Minute)
	def(&c.BackoffCap, 30*time.Minute)
	def(&c.Timeout, 20*time.Second)
	return c
}

// pollState is an account's polling, guarded by the tracker's lock.
type pollState struct {
	target   *Target // nil: not polled (no sign-in, or no usage endpoint)
	last     time.Time
	failures int
	err      string
	asap     bool          // poll at the next wake (first poll, a reset passed, on demand)
	running  chan struct{} // closed when the poll in flight ends
}

// intervalLocked is the wait after the last poll.
func (t *Tracker) intervalLocked(a *account, now time.Time) time.Duration {
	d := t.cad.Idle
	switch {
	case now.Sub(time.Unix(0, a.lastUsed.Load())) < t.cad.ActiveFor:
		d = t.cad.Busy
	case a.outPlan:
		d = t.cad.Out
	}
	if a.poll.failures > 0 {
		b := t.cad.Busy << min(a.poll.failures-1, 16)
		d = max(d, min(b, t.cad.BackoffCap))
	}
	return d
}

func (t *Tracker) dueLocked(a *account, now time.Time) time.Time {
	if a.poll.asap || a.poll.last.IsZero() {
		return now
	}
	return a.poll.last.Add(t.intervalLocked(a, now))
}

// Run is the tracker's one scheduler: it polls the sign-in accounts'
// usage endpoints when due and handles resets as they pass, sleeping on
// one timer until the next of either (none at all when there are no
// sign-ins and no window to wait for). It returns when ctx ends, after the
// polls in flight.
func (t *Tracker) Run(ctx context.Context) {
	defer t.wg.Wait()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		next := t.step(ctx)
		var tc <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(next.Sub(t.now()), 0))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		case <-tc:
		}
		timer.Stop()
	}
}

// step sweeps resets, starts the polls that are due and returns the next
// moment anything is due.
func (t *Tracker) step(ctx context.Context) time.Time {
	t.steps.Add(1)
	now := t.now()
	next := t.sweep(now)
	var targets []Target
	if t.targets != nil && t.send != nil {
		targets = t.targets()
	}
	t.mu.Lock()
	seen := make(map[string]bool, len(targets))
	for i := range targets {
		tg := targets[i]
		if !HasFetcher(tg.Entry.ID) {
			continue
		}
		seen[tg.AccountID] = true
		a := t.accountLocked(tg.AccountID, ident{tg.Entry.ID, tg.Account})
		a.poll.target = &tg
	}
	type job struct {
		a  *account
		tg Target
	}
	var due []job
	for id, a := range t.accts {
		if a.poll.target == nil {
			continue
		}
		if !seen[id] {
			a.poll.target = nil // signed out, removed or disabled
			continue
		}
		if a.poll.running != nil {
			continue
		}
		at := t.dueLocked(a, now)
		if !at.After(now) {
			a.poll.asap = false
			a.poll.running = make(chan struct{})
			due = append(due, job{a, *a.poll.target})
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	t.mu.Unlock()
	for _, j := range due {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.poll(ctx, j.a, j.tg)
		}()
	}
	return next
}

// poll asks one account's usage endpoint and merges what it says. The
// caller marked it running.
func (t *Tracker) poll(ctx context.Context, a *account, tg Target) {
	started := t.now()
	pctx, cancel := context.WithTimeout(ctx, t.cad.Timeout)
	ws, err := t.fetch(pctx, tg, started)
	cancel()
	t.mu.Lock()
	a.poll.last = t.now()
	if err != nil {
		a.poll.failures++
		a.poll.err = userError(err)
	} else {
		a.poll.failures, a.poll.err = 0, ""
	}
	done := a.poll.running
	a.poll.running = nil
	t.mu.Unlock()
	if err != nil {
		t.log.Warn("quota: usage endpoint failed", "provider", tg.Entry.ID, "account", tg.Account, "err", err)
	} else {
		for i := range ws {
			ws[i].Source, ws[i].ObservedAt = SourceUsage, started
		}
		t.apply(tg.AccountID, ident{tg.Entry.ID, tg.Account}, ws, merge{dropErrorsBefore: started, usage: true})
	}
	t.changed()
	close(done)
	t.poke()
}

// fetch runs the vendor's Fetcher with the sign-in's access; a token the
// endpoint refuses is renewed once, as requests do.
func (t *Tracker) fetch(ctx context.Context, tg Target, now time.Time) ([]Window, error) {
	f := fetchers[tg.Entry.ID]
	if f == nil || tg.Cred == nil {
		return nil, errNoEndpoint
	}
	if _, ok := f.(signedInFetcher); ok {
		// The endpoint takes the sign-in's own token, which does not
		// expire: a 401 there is a revoked sign-in, not a token to renew.
		c, ok := tg.Cred.(SignedInCredential)
		if !ok {
			return nil, errNoEndpoint
		}
		acc, err := c.SignedInAccess(ctx)
		if err != nil {
			return nil, err
		}
		return f.Fetch(ctx, t.send, &tg.Entry, acc, now)
	}
	acc, err := tg.Cred.Access(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := f.Fetch(ctx, t.send, &tg.Entry, acc, now)
	var e *ir.Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		if acc, err = tg.Cred.Reauthorize(ctx, acc.Token); err != nil {
			return nil, err
		}
		ws, err = f.Fetch(ctx, t.send, &tg.Entry, acc, now)
	}
	return ws, err
}

var errNoEndpoint = errors.New("quota: no usage endpoint for this account")

// ErrNotPolled: the account has no usage endpoint to ask (an API key, or
// a subscription without one): its figures come from answers only.
var ErrNotPolled = errors.New("this account has no usage endpoint; its figures come from the rate-limit headers of its answers")

// Refresh polls an account now (joining a poll in flight) and waits for
// it, within ctx.
func (t *Tracker) Refresh(ctx context.Context, id string) error {
	t.poke() // the scheduler learns the current sign-ins
	t.mu.Lock()
	a := t.accts[id]
	if a == nil || a.poll.target == nil {
		t.mu.Unlock()
		if t.refreshTarget(id) {
			return t.Refresh(ctx, id)
		}
		return ErrNotPolled
	}
	done := a.poll.running
	if done == nil {
		done = make(chan struct{})
		a.poll.running = done
		a.poll.asap = false
		go t.poll(context.WithoutCancel(ctx), a, *a.poll.target) // bounded by the poll timeout
	}
	t.mu.Unlock()
	select {
	case <-done:
		t.mu.RLock()
		defer t.mu.RUnlock()
		if a.poll.err != "" {
			return fmt.Errorf("%w: %s", ErrPollFailed, a.poll.err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrPollFailed wraps a usage endpoint's failure.
var ErrPollFailed = errors.New("the usage endpoint could not be read")

// refreshTarget registers id as a polled account when it is one of the
// current targets (a sign-in added since the scheduler last looked).
func (t *Tracker) refreshTarget(id string) bool {
	if t.targets == nil || t.send == nil {
		return false
	}
	for _, tg := range t.targets() {
		if tg.AccountID != id || !HasFetcher(tg.Entry.ID) {
			continue
		}
		t.mu.Lock()
		a := t.accountLocked(id, ident{tg.Entry.ID, tg.Account})
		if a.poll.target != nil {
			t.mu.Unlock()
			return false // registered meanwhile: not again
		}
		a.poll.target = &tg
		t.mu.Unlock()
		return true
	}
	return false
}

// userError is a failure as the Limits page shows it.
func userError(err error) string {
	var e *ir.Error
	if errors.As(err, &e) {
		if e.Status != 0 {
			return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
		}
		return e.Message
	}
	return err.Error()
}

// sortedIDs lists account ids in a stable order.
func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
