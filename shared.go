package llmrouter

import "time"

// SharedCooldowns shares deployment cooldowns among the replicas of a
// service, so that one replica's rate limits steer the whole fleet: when a
// deployment cools down for every request here (RetryPolicy.CooldownAfter
// rate limits in a row, or announced rate-limit headroom running out), the
// router Publishes it, and it applies what other replicas published through
// the function it passes to Subscribe. A cooldown is only ever extended,
// never shortened. Breakers stay local: they measure this replica's path.
// redisstore.Cooldowns keeps them in Redis.
//
// Times are the router's clock (time.Now unless WithClock), so replicas'
// clocks must roughly agree, or the implementation must translate them (the
// Redis one does, through the server's clock).
type SharedCooldowns interface {
	// Publish is called on the request path when deployment starts cooling
	// down until until. It must not block: queue and return.
	Publish(deployment string, until time.Time)
	// Subscribe is called once, by New, with the function that cools a
	// deployment of this router down until a time (unknown names are
	// ignored). It is safe to call from any goroutine and does not
	// Publish again.
	Subscribe(coolDown func(deployment string, until time.Time))
}

// WithSharedCooldowns shares this router's deployment cooldowns with other
// replicas through s. Off by default: each replica discovers rate limits
// on its own.
func WithSharedCooldowns(s SharedCooldowns) Option {
	return func(c *config) { c.cooldownShare = s }
}

// shareCooldowns applies other replicas' cooldowns to the deployments of
// the versions serving when they arrive. (Deployments publish through
// s from their health, which build sets.)
func (r *Router) shareCooldowns(s SharedCooldowns) {
	s.Subscribe(func(name string, until time.Time) {
		if d := r.state.Load().lookup(name); d != nil {
			d.raiseCooldown(until.UnixNano())
		}
	})
}
