package bff

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	reg      *prometheus.Registry
	// series holds each (route, method, status)'s counter and histogram once looked up:
	// WithLabelValues hashes every label and formats the status on each call, which cost more
	// than the rest of the metrics. Routes are the registered patterns, so the set is small.
	series sync.Map // seriesKey → *series
}

type seriesKey struct {
	route, method string
	status        int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// homeCacheCollector reports the home cache's hits and misses as one counter by result.
type homeCacheCollector struct{ h *HomeCache }

var homeCacheDesc = prometheus.NewDesc("shebao_home_cache_requests_total",
	"GET /api/v1/me/home answered from the home cache (hit) or computed (miss).", []string{"result"}, nil)

func (c homeCacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- homeCacheDesc }

func (c homeCacheCollector) Collect(ch chan<- prometheus.Metric) {
	hits, misses := c.h.Counts()
	ch <- prometheus.MustNewConstMetric(homeCacheDesc, prometheus.CounterValue, float64(hits), "hit")
	ch <- prometheus.MustNewConstMetric(homeCacheDesc, prometheus.CounterValue, float64(misses), "miss")
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shebao_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shebao_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	// The registry may be shared with other packages' collectors; the process collectors are
	// registered once here.
	_ = reg.Register(collectors.NewGoCollector())
	_ = reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	k := seriesKey{route, method, status}
	v, ok := m.series.Load(k)
	if !ok {
		// The key's strings may point into a request's buffers: the stored key owns copies.
		k = seriesKey{strings.Clone(route), strings.Clone(method), status}
		v, _ = m.series.LoadOrStore(k, &series{
			requests: m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(k.route, k.method),
		})
	}
	s := v.(*series)
	s.requests.Inc()
	s.latency.Observe(d.Seconds())
}

func (s *Server) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
}
