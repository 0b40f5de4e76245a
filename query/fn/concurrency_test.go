package fn

import (
	"sync"
	"testing"

	"github.com/tannin-db/tannin/query/vec"
	"github.com/tannin-db/tannin/schema"
)

// TestConcurrentEval shares bound functions between goroutines, as segments
// evaluated in parallel do; run with -race.
func TestConcurrentEval(t *testing.T) {
	type job struct {
		name string
		args []Arg
		fill func(i int, k int, v *vec.Vector)
	}
	jobs := []job{
		{"regexp_replace", []Arg{{Type: tStr}, {Type: tStr}, {Type: tStr, Const: &Const{Str: "$1"}}}, func(i, k int, v *vec.Vector) {
			v.Str[i] = [...]string{"abc123", "(\\d)", "$1"}[k]
		}},
		{"datetrunc", []Arg{{Type: tStr, Const: &Const{Str: "day"}}, {Type: tTS}, {Type: tStr, Const: &Const{Str: "MILLISECONDS"}}, {Type: tStr, Const: &Const{Str: "Europe/Berlin"}}}, func(i, k int, v *vec.Vector) {
			if k == 1 {
				v.I64[i] = int64(i) * 7_777_777
			}
		}},
		{"jsonExtractScalar", []Arg{{Type: tStr}, {Type: tStr, Const: &Const{Str: "$.a"}}, {Type: tStr, Const: &Const{Str: "LONG"}}, {Type: tLong, Const: &Const{Int: -1}}}, func(i, k int, v *vec.Vector) {
			if k == 0 {
				v.Str[i] = `{"a": 5}`
			}
		}},
		{"add", []Arg{{Type: tDec}, {Type: tDouble}}, func(i, k int, v *vec.Vector) {
			if k == 0 {
				v.Str[i] = "1.25"
			} else {
				v.F64[i] = 2
			}
		}},
	}
	for _, j := range jobs {
		f, err := Bind(j.name, j.args)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]*vec.Vector, 4)
		for g := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 64
				args := make([]*vec.Vector, len(j.args))
				for k, a := range j.args {
					v := vec.New(a.Type)
					v.Reset(a.Type, n)
					for i := 0; i < n; i++ {
						if a.Const != nil {
							switch a.Type.Storage() {
							case schema.StorageInt64:
								v.I64[i] = a.Const.Int
							case schema.StorageFloat64:
								v.F64[i] = a.Const.Float
							default:
								v.Str[i] = a.Const.Str
							}
						}
						j.fill(i, k, v)
					}
					args[k] = v
				}
				out := vec.New(f.Type)
				for r := 0; r < 50; r++ {
					if err := f.Eval(args, n, out); err != nil {
						t.Error(err)
						return
					}
				}
				results[g] = out
			}()
		}
		wg.Wait()
		for g := 1; g < len(results); g++ {
			if results[g] == nil || results[0] == nil {
				continue
			}
			for i := 0; i < 64; i++ {
				if !sameValue(valueAt(results[g], i), valueAt(results[0], i)) {
					t.Fatalf("%s: goroutine %d row %d differs", j.name, g, i)
				}
			}
		}
	}
}
