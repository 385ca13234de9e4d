//go:build tools

// Package tools records the main packages built from this module besides ./registry.
package tools

import (
	_ "github.com/sigstore/cosign/v2/cmd/cosign"
)
