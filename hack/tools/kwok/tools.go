//go:build tools

// Package tools records the main packages built from this module.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
