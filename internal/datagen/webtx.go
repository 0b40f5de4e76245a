package datagen

import (
	"strconv"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Time span of the web-transactions data: November 2024, UTC.
const (
	txStartMs = 1730419200000 // 2024-11-01 00:00:00 UTC
	txSpanMs  = 30 * 24 * 3600 * 1000
	// Black Friday 2024 fell on November 29; its campaign runs that week.
	txBlackFridayFromMs = 1732492800000 // 2024-11-25 00:00:00 UTC
)

// Transaction is one raw web-transaction event.
type Transaction struct {
	UserID      string // "1".."100"
	ProductName string // e.g. "Rustic Cotton Shirt"
	Color       string
	Department  string
	Product     string // e.g. "Shirt"
	Campaign    string // BlackFriday, 10Percent or NONE
	Price       float64
	// CreationTimestamp is epoch millis in whole seconds, never decreasing
	// from one event to the next.
	CreationTimestamp int64
}

// WebTransactions generates an e-commerce event table: who bought what, in
// which campaign, at what price, when (November 2024). It has no nulls.
type WebTransactions struct{}

// Name implements Dataset.
func (WebTransactions) Name() string { return "transactions" }

// Schema implements Dataset.
func (WebTransactions) Schema() *schema.Schema {
	return &schema.Schema{
		Name: "transactions",
		Fields: []schema.FieldSpec{
			field("userID", schema.FieldDimension, schema.TypeString, false),
			field("productName", schema.FieldDimension, schema.TypeString, false),
			field("color", schema.FieldDimension, schema.TypeString, false),
			field("department", schema.FieldDimension, schema.TypeString, false),
			field("product", schema.FieldDimension, schema.TypeString, false),
			field("campaign", schema.FieldDimension, schema.TypeString, false),
			field("price", schema.FieldMetric, schema.TypeDouble, false),
			field("creationTimestamp", schema.FieldDateTime, schema.TypeLong, false),
		},
		EnableColumnBasedNullHandling: true,
	}
}

// Generate implements Dataset.
func (d WebTransactions) Generate(seed uint64, rows, batch int, emit func([]*segment.ColumnBuffer) error) error {
	if err := checkSizes(rows, batch); err != nil {
		return err
	}
	s := d.Schema()
	g := newTxGen(seed, rows)
	var t Transaction
	return batches(rows, batch, func(lo, hi int) []*segment.ColumnBuffer {
		cols := newBuffers(s, hi-lo)
		for i := lo; i < hi; i++ {
			g.next(i, &t)
			cols[0].Strs = append(cols[0].Strs, t.UserID)
			cols[1].Strs = append(cols[1].Strs, t.ProductName)
			cols[2].Strs = append(cols[2].Strs, t.Color)
			cols[3].Strs = append(cols[3].Strs, t.Department)
			cols[4].Strs = append(cols[4].Strs, t.Product)
			cols[5].Strs = append(cols[5].Strs, t.Campaign)
			cols[6].Floats = append(cols[6].Floats, t.Price)
			cols[7].Ints = append(cols[7].Ints, t.CreationTimestamp)
		}
		return cols
	}, emit)
}

// Events calls fn with the same rows Generate produces, one event at a
// time. The event is reused between calls.
func (WebTransactions) Events(seed uint64, rows int, fn func(*Transaction) error) error {
	if err := checkSizes(rows, 1); err != nil {
		return err
	}
	g := newTxGen(seed, rows)
	var t Transaction
	for i := range rows {
		g.next(i, &t)
		if err := fn(&t); err != nil {
			return err
		}
	}
	return nil
}

// Live generates web transactions as they happen, for streaming demos:
// the same users, catalog and campaigns as Events, stamped with the time
// the caller gives. Not safe for concurrent use.
type Live struct{ g *txGen }

// NewLive returns a generator seeded with seed.
func (WebTransactions) NewLive(seed uint64) *Live { return &Live{g: newTxGen(seed, 1)} }

// Next fills t with the next transaction, created at nowMs.
func (l *Live) Next(t *Transaction, nowMs int64) {
	l.g.next(0, t)
	t.CreationTimestamp = nowMs
}

type catalogItem struct {
	name, product, department string
	cents                     int64 // list price in cents, 1000..15000
}

type txGen struct {
	r        *rng
	rows     int
	users    [100]string
	userPick *sampler
	catalog  []catalogItem
	itemPick *sampler
}

func newTxGen(seed uint64, rows int) *txGen {
	g := &txGen{r: newRNG(seed, 1), rows: rows}
	for i := range g.users {
		g.users[i] = strconv.Itoa(i + 1)
	}
	// A few heavy buyers, a long tail.
	g.userPick = zipfSampler(len(g.users), 0.7)
	// The catalog is the same for every seed.
	v := newRNG(vocabSeed, 1)
	seen := map[string]bool{}
	for len(g.catalog) < 300 {
		p := products[v.intn(len(products))]
		name := productAdjectives[v.intn(len(productAdjectives))] + " " +
			productMaterials[v.intn(len(productMaterials))] + " " + p.name
		if seen[name] {
			continue
		}
		seen[name] = true
		g.catalog = append(g.catalog, catalogItem{
			name: name, product: p.name, department: p.department,
			cents: 1000 + int64(v.intn(14001)),
		})
	}
	g.itemPick = zipfSampler(len(g.catalog), 0.9)
	return g
}

func (g *txGen) next(i int, t *Transaction) {
	r := g.r
	// Whole seconds, spread evenly over the span and never decreasing.
	const spanS = txSpanMs / 1000
	sec := int64((float64(i) + r.float()) * float64(spanS) / float64(g.rows))
	t.CreationTimestamp = txStartMs + sec*1000

	it := &g.catalog[g.itemPick.draw(r)]
	t.UserID = g.users[g.userPick.draw(r)]
	t.ProductName, t.Product, t.Department = it.name, it.product, it.department
	t.Color = colors[r.intn(len(colors))]

	blackFriday := t.CreationTimestamp >= txBlackFridayFromMs
	u := r.float()
	cents := it.cents
	switch {
	case blackFriday && u < 0.6:
		t.Campaign = campaigns[0]
		cents = cents * 7 / 10
	case u < 0.2 || blackFriday && u < 0.75:
		t.Campaign = campaigns[1]
		cents = cents * 9 / 10
	default:
		t.Campaign = campaigns[2]
	}
	t.Price = float64(max(cents, 1000)) / 100
}
