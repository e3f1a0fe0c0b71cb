// Command genembed writes schema-embed.json (schema.json with "version" set)
// and terraform-mapping-embed.json (compacted) into an output folder.
// Usage: go run ./internal/genembed <module dir>/cmd/pulumi-resource-kubernetes <out dir> <version>
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: genembed SRC_DIR OUT_DIR VERSION")
	}
	src, out, version := os.Args[1], os.Args[2], os.Args[3]

	raw, err := os.ReadFile(filepath.Join(src, "schema.json"))
	if err != nil {
		log.Fatal(err)
	}
	// Keep key order and unknown fields: decode into an ordered-agnostic map
	// only to set "version", then re-marshal.
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		log.Fatal(err)
	}
	v, _ := json.Marshal(version)
	spec["version"] = v
	schema, err := json.Marshal(spec)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "schema-embed.json"), schema, 0o644); err != nil {
		log.Fatal(err)
	}

	tf, err := os.ReadFile(filepath.Join(src, "terraform-mapping.json"))
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, tf); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "terraform-mapping-embed.json"), buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
