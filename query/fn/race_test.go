//go:build race

package fn

const raceEnabled = true
