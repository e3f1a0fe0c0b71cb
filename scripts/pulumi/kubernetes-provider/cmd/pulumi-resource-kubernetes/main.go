// Command pulumi-resource-kubernetes serves the Kubernetes provider from the
// module github.com/pulumi/pulumi-kubernetes/provider/v4. The module ships
// schema.json but not the generated *-embed.json files its own main embeds,
// so this wrapper embeds files produced by ../../internal/genembed.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
