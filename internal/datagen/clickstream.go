package datagen

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/tannin-db/tannin/schema"
	"github.com/tannin-db/tannin/segment"
)

// Time span of the clickstream data: July 2013, UTC, as in ClickBench.
const (
	hitsStartMs = 1372636800000 // 2013-07-01 00:00:00 UTC
	hitsDays    = 31
	hitsSpanMs  = hitsDays * 24 * 3600 * 1000
	clientIPs   = 50000 // distinct client addresses
)

// Clickstream generates a web-analytics hit table modelled on ClickBench's
// hits: ~40 columns, a unique WatchID, skewed CounterID and RegionID,
// high-cardinality URL and UserID, mostly empty SearchPhrase and Referer,
// and about 5% nulls in RegionID, BrowserCountry, FetchTiming and Duration.
type Clickstream struct {
	// MultiValue adds Tags, a multi-value STRING column of 1 to 3 values.
	MultiValue bool
}

// Column indexes of the clickstream schema, in field order.
const (
	hWatchID = iota
	hJavaEnable
	hTitle
	hGoodEvent
	hEventTime
	hEventDate
	hCounterID
	hClientIP
	hRegionID
	hUserID
	hCounterClass
	hOS
	hUserAgent
	hURL
	hReferer
	hIsRefresh
	hResolutionWidth
	hResolutionHeight
	hIsMobile
	hMobilePhone
	hMobilePhoneModel
	hTraficSourceID
	hSearchEngineID
	hSearchPhrase
	hAdvEngineID
	hIsLink
	hIsDownload
	hDontCountHits
	hWindowClientWidth
	hWindowClientHeight
	hBrowserLanguage
	hBrowserCountry
	hSocialSourceNetworkID
	hHitColor
	hURLHash
	hRefererHash
	hFetchTiming
	hDuration
	hParamPrice
	hTags // only with MultiValue
)

// Name implements Dataset.
func (Clickstream) Name() string { return "hits" }

// Schema implements Dataset.
func (d Clickstream) Schema() *schema.Schema {
	dim := func(name string, dt schema.DataType) schema.FieldSpec {
		return field(name, schema.FieldDimension, dt, false)
	}
	const (
		tInt  = schema.TypeInt
		tLong = schema.TypeLong
		tStr  = schema.TypeString
	)
	fs := []schema.FieldSpec{
		hWatchID:               dim("WatchID", tLong),
		hJavaEnable:            dim("JavaEnable", tInt),
		hTitle:                 dim("Title", tStr),
		hGoodEvent:             dim("GoodEvent", tInt),
		hEventTime:             field("EventTime", schema.FieldDateTime, schema.TypeTimestamp, false),
		hEventDate:             dim("EventDate", tStr),
		hCounterID:             dim("CounterID", tInt),
		hClientIP:              dim("ClientIP", tInt),
		hRegionID:              field("RegionID", schema.FieldDimension, tInt, true),
		hUserID:                dim("UserID", tLong),
		hCounterClass:          dim("CounterClass", tInt),
		hOS:                    dim("OS", tInt),
		hUserAgent:             dim("UserAgent", tInt),
		hURL:                   dim("URL", tStr),
		hReferer:               dim("Referer", tStr),
		hIsRefresh:             dim("IsRefresh", tInt),
		hResolutionWidth:       dim("ResolutionWidth", tInt),
		hResolutionHeight:      dim("ResolutionHeight", tInt),
		hIsMobile:              dim("IsMobile", schema.TypeBoolean),
		hMobilePhone:           dim("MobilePhone", tInt),
		hMobilePhoneModel:      dim("MobilePhoneModel", tStr),
		hTraficSourceID:        dim("TraficSourceID", tInt),
		hSearchEngineID:        dim("SearchEngineID", tInt),
		hSearchPhrase:          dim("SearchPhrase", tStr),
		hAdvEngineID:           dim("AdvEngineID", tInt),
		hIsLink:                dim("IsLink", tInt),
		hIsDownload:            dim("IsDownload", tInt),
		hDontCountHits:         dim("DontCountHits", tInt),
		hWindowClientWidth:     dim("WindowClientWidth", tInt),
		hWindowClientHeight:    dim("WindowClientHeight", tInt),
		hBrowserLanguage:       dim("BrowserLanguage", tStr),
		hBrowserCountry:        field("BrowserCountry", schema.FieldDimension, tStr, true),
		hSocialSourceNetworkID: dim("SocialSourceNetworkID", tInt),
		hHitColor:              dim("HitColor", tStr),
		hURLHash:               dim("URLHash", tLong),
		hRefererHash:           dim("RefererHash", tLong),
		hFetchTiming:           field("FetchTiming", schema.FieldMetric, tInt, true),
		hDuration:              field("Duration", schema.FieldMetric, schema.TypeDouble, true),
		hParamPrice:            field("ParamPrice", schema.FieldMetric, tLong, false),
	}
	if d.MultiValue {
		f := dim("Tags", tStr)
		f.SingleValue = false
		fs = append(fs, f)
	}
	return &schema.Schema{Name: "hits", Fields: fs, EnableColumnBasedNullHandling: true}
}

// hitsVocab holds the seed-independent vocabularies of the clickstream.
type hitsVocab struct {
	counterIDs   []int64
	counterPick  *sampler
	regionIDs    []int64
	regionPick   *sampler
	osPick       *sampler
	agentPick    *sampler
	hostPick     *sampler
	sectionPick  *sampler
	refPick      *sampler
	titles       []string
	titlePick    *sampler
	phrases      []string
	phrasePick   *sampler
	enginePick   *sampler
	advPick      *sampler
	phonePick    *sampler
	resPick      *sampler
	mresPick     *sampler
	langPick     *sampler
	countryPick  *sampler
	trafficPick  *sampler
	dates        [hitsDays]string
	urlPrefixes  [][]byte // "http://host/section/" for every host x section
	refPrefixes  [][]byte
	tagPick      *sampler
	trafficCodes []int64
}

func newHitsVocab() *hitsVocab {
	v := &hitsVocab{}
	r := newRNG(vocabSeed, 2)

	// CounterID: a few huge sites (62 first, as in ClickBench) and a tail.
	v.counterIDs = []int64{62}
	seen := map[int64]bool{62: true}
	for len(v.counterIDs) < 400 {
		id := 1 + int64(r.intn(250000))
		if !seen[id] {
			seen[id] = true
			v.counterIDs = append(v.counterIDs, id)
		}
	}
	v.counterPick = zipfSampler(len(v.counterIDs), 1.2)

	v.regionIDs = []int64{229, 2, 208, 169, 184, 158, 34, 55, 107, 42}
	clear(seen)
	for _, id := range v.regionIDs {
		seen[id] = true
	}
	for len(v.regionIDs) < 250 {
		id := 1 + int64(r.intn(12000))
		if !seen[id] {
			seen[id] = true
			v.regionIDs = append(v.regionIDs, id)
		}
	}
	v.regionPick = zipfSampler(len(v.regionIDs), 1.1)
	v.osPick = zipfSampler(90, 1.3)
	v.agentPick = zipfSampler(60, 1.4)

	for _, h := range siteHosts {
		for _, s := range sections {
			scheme := "http://"
			if len(h)%3 == 0 {
				scheme = "https://"
			}
			v.urlPrefixes = append(v.urlPrefixes, []byte(scheme+h+"/"+s+"/"))
		}
	}
	v.hostPick = zipfSampler(len(siteHosts), 1.0)
	v.sectionPick = zipfSampler(len(sections), 0.8)
	for _, h := range refererHosts {
		if h == "" {
			v.refPrefixes = append(v.refPrefixes, nil)
			continue
		}
		v.refPrefixes = append(v.refPrefixes, []byte(h+"?q="))
	}
	v.refPick = newSampler([]float64{14, 13, 13, 18, 16, 5, 2, 6, 4, 2, 3, 2, 2})

	for _, t := range titleTopics {
		for _, p := range titlePlaces {
			for _, h := range siteHosts[:8] {
				v.titles = append(v.titles, t+" in "+p+" - "+h)
			}
		}
	}
	r2 := newRNG(vocabSeed, 3)
	shuffleStrings(r2, v.titles)
	v.titlePick = zipfSampler(len(v.titles), 1.0)

	clearPhrases := map[string]bool{}
	for len(v.phrases) < 4000 {
		n := 2 + r.intn(2)
		p := phraseWords[r.intn(len(phraseWords))]
		for range n - 1 {
			p += " " + phraseWords[r.intn(len(phraseWords))]
		}
		if !clearPhrases[p] {
			clearPhrases[p] = true
			v.phrases = append(v.phrases, p)
		}
	}
	v.phrasePick = zipfSampler(len(v.phrases), 0.9)
	v.enginePick = zipfSampler(20, 1.5)
	v.advPick = zipfSampler(30, 1.2)
	v.phonePick = zipfSampler(len(phoneModels), 1.0)
	v.resPick = zipfSampler(len(resolutions), 1.0)
	v.mresPick = zipfSampler(len(mobileResolutions), 1.0)
	v.langPick = zipfSampler(len(languages), 1.8)
	v.countryPick = zipfSampler(len(countries), 1.5)
	v.trafficCodes = []int64{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	v.trafficPick = newSampler([]float64{3, 30, 20, 15, 8, 6, 5, 4, 3, 3, 2, 1})
	v.tagPick = zipfSampler(len(tagWords), 0.8)

	for d := range v.dates {
		v.dates[d] = time.UnixMilli(hitsStartMs + int64(d)*86400000).UTC().Format("2006-01-02")
	}
	return v
}

func shuffleStrings(r *rng, s []string) {
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}

// Generate implements Dataset.
func (d Clickstream) Generate(seed uint64, rows, batch int, emit func([]*segment.ColumnBuffer) error) error {
	if err := checkSizes(rows, batch); err != nil {
		return err
	}
	s := d.Schema()
	v := newHitsVocab()
	// Tags draw from their own stream so that the main stream, and so
	// every other column, is the same with and without them.
	r, rt := newRNG(seed, 2), newRNG(seed, 3)
	users := max(1000, rows/12)
	return batches(rows, batch, func(lo, hi int) []*segment.ColumnBuffer {
		return d.batch(s, v, r, rt, seed, users, rows, lo, hi)
	}, emit)
}

func (d Clickstream) batch(s *schema.Schema, v *hitsVocab, r, rt *rng, seed uint64, users, rows, lo, hi int) []*segment.ColumnBuffer {
	n := hi - lo
	cols := newBuffers(s, n)
	// Every single-value column is filled by index, so size them all.
	for _, c := range cols {
		switch {
		case c.Ints != nil:
			c.Ints = c.Ints[:n]
		case c.Floats != nil:
			c.Floats = c.Floats[:n]
		case c.Strs != nil:
			c.Strs = c.Strs[:n]
		}
	}
	I := func(c int) []int64 { return cols[c].Ints }
	var (
		watch, java, good, etime, counter, cip, region, uid    = I(hWatchID), I(hJavaEnable), I(hGoodEvent), I(hEventTime), I(hCounterID), I(hClientIP), I(hRegionID), I(hUserID)
		cclass, osc, agent, refresh, resW, resH, mobile, phone = I(hCounterClass), I(hOS), I(hUserAgent), I(hIsRefresh), I(hResolutionWidth), I(hResolutionHeight), I(hIsMobile), I(hMobilePhone)
		traffic, engine, adv, link, download, dontCount        = I(hTraficSourceID), I(hSearchEngineID), I(hAdvEngineID), I(hIsLink), I(hIsDownload), I(hDontCountHits)
		winW, winH, social, urlHash, refHash, fetch, pprice    = I(hWindowClientWidth), I(hWindowClientHeight), I(hSocialSourceNetworkID), I(hURLHash), I(hRefererHash), I(hFetchTiming), I(hParamPrice)
		title, edate, url, referer                             = cols[hTitle].Strs, cols[hEventDate].Strs, cols[hURL].Strs, cols[hReferer].Strs
		model, phrase, lang, country, color                    = cols[hMobilePhoneModel].Strs, cols[hSearchPhrase].Strs, cols[hBrowserLanguage].Strs, cols[hBrowserCountry].Strs, cols[hHitColor].Strs
		duration                                               = cols[hDuration].Floats
	)
	intNull := s.Fields[hRegionID].DefaultNull.(int64)
	strNull := s.Fields[hBrowserCountry].DefaultNull.(string)

	// URLs and referers are written into one arena and sliced out of a
	// single string afterwards: one allocation per batch, not per row.
	arena := make([]byte, 0, n*80)
	urlEnd := make([]int32, n)
	refEnd := make([]int32, n)
	const spanS = hitsSpanMs / 1000
	for k := range n {
		i := lo + k
		watch[k] = int64(permute63(uint64(i) ^ seed<<40))
		sec := int64((float64(i) + r.float()) * float64(spanS) / float64(rows))
		etime[k] = hitsStartMs + sec*1000
		edate[k] = v.dates[sec/86400]
		counter[k] = v.counterIDs[v.counterPick.draw(r)]
		u := r.float()
		cip[k] = int64(int32(permute63(uint64(u*u*clientIPs) + 77)))
		u = r.float()
		uid[k] = int64(permute63(uint64(float64(users)*u*u) + seed))
		// Yes/no draws come ten bits at a time out of three words:
		// probabilities in 1/1024ths.
		w1, w2, w3 := r.p.Uint64(), r.p.Uint64(), r.p.Uint64()
		java[k] = b2i(w1&1023 < 666)
		good[k] = b2i(w1>>10&1023 >= 5)
		refresh[k] = b2i(w1>>20&1023 < 123)
		link[k] = b2i(w1>>30&1023 < 31)
		download[k] = b2i(w1>>40&1023 < 10)
		dontCount[k] = b2i(w1>>50&1023 < 20)
		cclass[k] = int64(w1 >> 62)
		isMobile := w2&1023 < 205
		if w2>>10&1023 < 51 {
			region[k] = intNull
			cols[hRegionID].Nulls.Add(uint32(k))
		} else {
			region[k] = v.regionIDs[v.regionPick.draw(r)]
		}
		osc[k] = int64(v.osPick.draw(r))
		agent[k] = int64(v.agentPick.draw(r))
		traffic[k] = v.trafficCodes[v.trafficPick.draw(r)]

		mobile[k] = b2i(isMobile)
		var res [2]int64
		if isMobile {
			m := v.phonePick.draw(r)
			model[k] = phoneModels[m]
			phone[k] = int64(m + 1)
			res = mobileResolutions[v.mresPick.draw(r)]
		} else {
			model[k] = ""
			res = resolutions[v.resPick.draw(r)]
		}
		resW[k], resH[k] = res[0], res[1]
		winW[k] = max(0, res[0]-int64(r.intn(120)))
		winH[k] = max(0, res[1]-int64(80+r.intn(160)))

		if w2>>20&1023 < 225 {
			phrase[k] = v.phrases[v.phrasePick.draw(r)]
			engine[k] = int64(1 + v.enginePick.draw(r))
		} else {
			phrase[k] = ""
			if w2>>30&1023 < 31 {
				engine[k] = int64(1 + r.intn(20))
			}
		}
		if w2>>40&1023 < 31 {
			adv[k] = int64(1 + v.advPick.draw(r))
		}
		if w2>>50&1023 < 82 {
			social[k] = int64(1 + r.intn(9))
		}
		if w3&1023 < 102 {
			title[k] = ""
		} else {
			title[k] = v.titles[v.titlePick.draw(r)]
		}
		lang[k] = languages[v.langPick.draw(r)]
		if w3>>10&1023 < 51 {
			country[k] = strNull
			cols[hBrowserCountry].Nulls.Add(uint32(k))
		} else {
			country[k] = countries[v.countryPick.draw(r)]
		}
		switch c := w3 >> 20 & 1023; {
		case c < 614:
			color[k] = "F"
		case c < 922:
			color[k] = "D"
		default:
			color[k] = "E"
		}

		// URL: shared host/section prefixes, then a skewed numeric id.
		start := len(arena)
		if w3>>30&1023 >= 10 {
			p := v.urlPrefixes[v.hostPick.draw(r)*len(sections)+v.sectionPick.draw(r)]
			arena = append(arena, p...)
			u := r.float()
			id := int64(u * u * 2_000_000)
			if w3>>40&1023 < 307 {
				arena = append(arena, "?id="...)
				arena = strconv.AppendInt(arena, id, 10)
			} else {
				arena = strconv.AppendInt(arena, id, 10)
				arena = append(arena, ".html"...)
			}
		}
		urlHash[k] = hash64(arena[start:])
		urlEnd[k] = int32(len(arena))

		start = len(arena)
		if p := v.refPrefixes[v.refPick.draw(r)]; p != nil {
			arena = append(arena, p...)
			arena = strconv.AppendInt(arena, int64(r.intn(1000)), 10)
		}
		refHash[k] = hash64(arena[start:])
		refEnd[k] = int32(len(arena))

		if w3>>50&1023 < 51 {
			fetch[k] = 0
			cols[hFetchTiming].Nulls.Add(uint32(k))
		} else {
			u := r.float()
			fetch[k] = int64(u * u * 5000)
		}
		if w4 := r.p.Uint64(); w4&1023 < 61 {
			duration[k] = 0
			cols[hDuration].Nulls.Add(uint32(k))
		} else {
			u := float64(w4>>11) * (1.0 / (1 << 53))
			duration[k] = float64(50+int64(u*u*u*30000)) / 1000
		}
		if w5 := r.p.Uint64(); w5&1023 < 51 {
			pprice[k] = 100 + int64((w5>>10)%100000)
		}
	}
	// The arena is never written again, so the string may share it.
	text := unsafe.String(unsafe.SliceData(arena), len(arena))
	prev := int32(0)
	for k := range n {
		url[k] = text[prev:urlEnd[k]]
		referer[k] = text[urlEnd[k]:refEnd[k]]
		prev = refEnd[k]
	}
	if d.MultiValue {
		tags := cols[hTags]
		tags.Strs = make([]string, 0, 2*n+16)
		for range n {
			m := 1 + rt.intn(3)
			for range m {
				tags.Strs = append(tags.Strs, tagWords[v.tagPick.draw(rt)])
			}
			tags.Offsets = append(tags.Offsets, uint32(len(tags.Strs)))
		}
	}
	return cols
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
