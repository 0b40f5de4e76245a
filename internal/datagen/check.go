package datagen

import "fmt"

func checkSizes(rows, batch int) error {
	if rows < 0 {
		return fmt.Errorf("generate rows: negative row count %d", rows)
	}
	if batch < 0 {
		return fmt.Errorf("generate rows: negative batch size %d", batch)
	}
	return nil
}
