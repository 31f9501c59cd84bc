package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// tokenBucket is Bucket.Take run inside Redis, so that every replica takes from the same bucket
// atomically. The clock is Redis's own (TIME), so replicas with skewed clocks still agree. The
// wait is returned as a string: Redis truncates Lua numbers to integers.
var tokenBucket = redis.NewScript(`
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local ok, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {ok, tostring(wait)}
`)

// Redis is a Limiter whose buckets live in Redis, so a limit holds across all replicas: a person
// who reconnects to another replica does not get a fresh burst. When Redis cannot be reached it
// falls back to an in-memory limiter (per replica, so limits are looser by the number of
// replicas), logging the change once each way: a limiter is a guard, not the product.
type Redis struct {
	rdb      *redis.Client
	prefix   string
	fallback Limiter
	log      *slog.Logger

	mu   sync.Mutex
	down bool
}

// NewRedis returns a Limiter over rdb with keys under prefix (e.g. "shebao:rl:").
func NewRedis(rdb *redis.Client, prefix string, log *slog.Logger) *Redis {
	if log == nil {
		log = slog.Default()
	}
	return &Redis{rdb: rdb, prefix: prefix, fallback: NewMemory(nil), log: log}
}

// Allow takes one token from key's shared bucket.
func (l *Redis) Allow(ctx context.Context, key string, r Rate) (bool, time.Duration, error) {
	if r.Burst <= 0 || r.PerSecond <= 0 {
		return true, 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	res, err := tokenBucket.Run(ctx, l.rdb, []string{l.prefix + key}, r.Burst, strconv.FormatFloat(r.PerSecond, 'g', -1, 64)).Slice()
	var ok bool
	var wait time.Duration
	if err == nil {
		ok, wait, err = parseBucket(res)
	}
	l.health(err)
	if err != nil {
		return l.fallback.Allow(ctx, key, r)
	}
	return ok, wait, nil
}

func parseBucket(res []any) (bool, time.Duration, error) {
	if len(res) != 2 {
		return false, 0, fmt.Errorf("ratelimit: unexpected reply %v", res)
	}
	n, _ := res[0].(int64)
	s, _ := res[1].(string)
	w, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: unexpected wait %q", s)
	}
	return n == 1, time.Duration(w * float64(time.Second)), nil
}

// health logs when Redis goes away and comes back, not once per message.
func (l *Redis) health(err error) {
	l.mu.Lock()
	was := l.down
	l.down = err != nil
	l.mu.Unlock()
	switch {
	case err != nil && !was:
		l.log.Warn("rate limits: Redis unreachable, limiting per replica in memory until it is back", "err", err)
	case err == nil && was:
		l.log.Info("rate limits: Redis back, limits shared across replicas again")
	}
}

// Down reports whether the last call fell back to memory.
func (l *Redis) Down() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.down
}
