//go:build tools

// Package tools records the main packages built from this module.
package tools

import _ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
