package redisstore

import (
	"context"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/redis/go-redis/v9"
)

// Cooldowns is a llmrouter.SharedCooldowns kept in Redis: one hash per
// fleet, field = deployment name, value = end of its cooldown in the Redis
// server's clock (milliseconds). A cooldown published by any replica is
// applied by every replica within Refresh; a later cooldown extends an
// earlier one, never shortens it; ended ones are removed. Times cross
// replicas as offsets from the server's clock, so replicas' clocks need not
// agree.
//
// Publish never blocks: cooldowns are queued (up to 1,024; more are
// dropped) and sent by the one goroutine Cooldowns runs, within
// milliseconds, together with a read of every cooldown in force: one round
// trip per batch, and one per Refresh when nothing happens. Call Close when
// done. Safe for concurrent use.
type Cooldowns struct {
	c   redis.UniversalClient
	key string
	o   CooldownOptions

	pub  chan published
	mu   sync.Mutex
	subs []func(string, time.Time)

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// CooldownOptions configure Cooldowns. Zero fields take their defaults.
type CooldownOptions struct {
	// Prefix starts the key. Default "llmr".
	Prefix string
	// Fleet names the group of replicas sharing cooldowns (the service):
	// replicas with the same Prefix and Fleet share. Default "default".
	Fleet string
	// Refresh is how often cooldowns are read when none is published.
	// Default 1s.
	Refresh time.Duration
	// Timeout bounds each round trip. Default 250ms.
	Timeout time.Duration
}

type published struct {
	name  string
	until time.Time
}

var _ llmrouter.SharedCooldowns = (*Cooldowns)(nil)

// NewCooldowns returns shared cooldowns over c; pass them to
// llmrouter.WithSharedCooldowns. Bad options give a
// *llmrouter.ConfigError naming the field.
func NewCooldowns(c redis.UniversalClient, o CooldownOptions) (*Cooldowns, error) {
	if c == nil {
		return nil, &llmrouter.ConfigError{Field: "redisstore.NewCooldowns: client", Reason: "is nil"}
	}
	if o.Prefix == "" {
		o.Prefix = "llmr"
	}
	if o.Fleet == "" {
		o.Fleet = "default"
	}
	def(&o.Refresh, time.Second)
	def(&o.Timeout, 250*time.Millisecond)
	switch {
	case o.Refresh < 10*time.Millisecond:
		return nil, &llmrouter.ConfigError{Field: "redisstore.CooldownOptions.Refresh", Reason: "must be at least 10ms"}
	case o.Timeout < time.Millisecond:
		return nil, &llmrouter.ConfigError{Field: "redisstore.CooldownOptions.Timeout", Reason: "must be at least 1ms"}
	}
	if err := checkClient(c); err != nil {
		return nil, err
	}
	cd := &Cooldowns{c: c, key: o.Prefix + ":{cd:" + tag("fleet", o.Fleet) + "}", o: o,
		pub: make(chan published, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	go cd.run()
	return cd, nil
}

// Publish implements llmrouter.SharedCooldowns.
func (cd *Cooldowns) Publish(deployment string, until time.Time) {
	select {
	case cd.pub <- published{deployment, until}:
	default:
	}
}

// Subscribe implements llmrouter.SharedCooldowns.
func (cd *Cooldowns) Subscribe(coolDown func(deployment string, until time.Time)) {
	cd.mu.Lock()
	cd.subs = append(cd.subs, coolDown)
	cd.mu.Unlock()
}

// Close stops the goroutine and waits for it. It does not close the client.
func (cd *Cooldowns) Close() error {
	cd.once.Do(func() { close(cd.stop) })
	<-cd.done
	return nil
}

func (cd *Cooldowns) run() {
	defer close(cd.done)
	t := time.NewTicker(cd.o.Refresh)
	defer t.Stop()
	for {
		var batch []published
		select {
		case <-cd.stop:
			return
		case p := <-cd.pub:
			batch = append(batch, p)
		more:
			for len(batch) < 256 {
				select {
				case p := <-cd.pub:
					batch = append(batch, p)
				default:
					break more
				}
			}
		case <-t.C:
		}
		cd.sync(batch)
	}
}

// sync sends batch and applies every cooldown in force.
func (cd *Cooldowns) sync(batch []published) {
	ctx, cancel := context.WithTimeout(context.Background(), cd.o.Timeout)
	defer cancel()
	local := time.Now()
	args := make([]any, 0, 2*len(batch))
	for _, p := range batch {
		args = append(args, p.name, max(p.until.Sub(local).Milliseconds(), 1))
	}
	res, err := cooldownScript.Run(ctx, cd.c, []string{cd.key}, args...).Slice()
	if err != nil || len(res) == 0 {
		return // Redis is out: this replica keeps its own cooldowns
	}
	serverNow, _ := res[0].(int64)
	cd.mu.Lock()
	subs := cd.subs
	cd.mu.Unlock()
	for i := 1; i+1 < len(res); i += 2 {
		name, _ := res[i].(string)
		end, _ := res[i+1].(int64)
		until := local.Add(time.Duration(end-serverNow) * time.Millisecond)
		for _, f := range subs {
			f(name, until)
		}
	}
}

// cooldownScript raises the cooldowns in ARGV (pairs of deployment name and
// milliseconds from now) to now + those, drops ended ones, and returns
// {now, name, end, name, end, ...} for those in force. KEYS[1] is the hash.
var cooldownScript = redis.NewScript(luaNow + `
for i = 1, #ARGV, 2 do
  local u = now + tonumber(ARGV[i + 1])
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if u > cur then redis.call('HSET', KEYS[1], ARGV[i], u) end
end
local all = redis.call('HGETALL', KEYS[1])
local out, last = {now}, 0
for i = 1, #all, 2 do
  local u = tonumber(all[i + 1])
  if u <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    out[#out + 1] = all[i]
    out[#out + 1] = u
    if u > last then last = u end
  end
end
if last > now then redis.call('PEXPIRE', KEYS[1], last - now + 1000) end
return out
`)
