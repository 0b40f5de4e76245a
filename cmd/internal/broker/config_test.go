package broker

import (
	"flag"
	"io"
	"slices"
	"testing"
	"time"
)

func TestConfigFlags(t *testing.T) {
	tests := []struct {
		args    []string
		check   func(c Config) bool
		invalid bool // parse or Validate fails
	}{
		{nil, func(c Config) bool {
			return c.Port == 8099 && c.Timeout == 10*time.Second && slices.Equal(c.Tags, []string{"DefaultTenant_BROKER"}) &&
				c.MaxMessageBytes == 256<<20 && c.HedgeAfter == 0 && !c.EnableNullHandling
		}, false},
		{[]string{"-port", "0", "-timeout-ms", "1500", "-tags", "a_BROKER, b_BROKER", "-hedge-after", "-1ns", "-enable-null-handling"},
			func(c Config) bool {
				return c.Port == 0 && c.Timeout == 1500*time.Millisecond && slices.Equal(c.Tags, []string{"a_BROKER", "b_BROKER"}) &&
					c.HedgeAfter < 0 && c.EnableNullHandling
			}, false},
		{[]string{"-timeout-ms", "0"}, nil, true},
		{[]string{"-timeout-ms", "abc"}, nil, true},
		{[]string{"-port", "70000"}, nil, true},
		{[]string{"-tags", ""}, nil, true},
		{[]string{"-tags", "DefaultTenant_OFFLINE"}, nil, true},
		{[]string{"-max-message-bytes", "0"}, nil, true},
		{[]string{"-shutdown-timeout", "0s"}, nil, true},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		fs := flag.NewFlagSet("broker", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.RegisterFlags(fs)
		err := fs.Parse(tt.args)
		if err == nil {
			err = c.Validate()
		}
		if tt.invalid {
			if err == nil {
				t.Errorf("%v: want an error", tt.args)
			}
			continue
		}
		if err != nil || !tt.check(c) {
			t.Errorf("%v: %v, config %+v", tt.args, err, c)
		}
	}
}

func TestHedgeDelay(t *testing.T) {
	for _, tt := range []struct{ cfg, timeout, want time.Duration }{
		{0, 10 * time.Second, 5 * time.Second},
		{-1, 10 * time.Second, 0},
		{200 * time.Millisecond, 10 * time.Second, 200 * time.Millisecond},
	} {
		b := &Broker{cfg: Config{HedgeAfter: tt.cfg}}
		if got := b.hedgeDelay(tt.timeout); got != tt.want {
			t.Errorf("hedge %v, timeout %v: %v, want %v", tt.cfg, tt.timeout, got, tt.want)
		}
	}
}
