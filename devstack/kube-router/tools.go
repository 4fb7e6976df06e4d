//go:build tools

// Package tools keeps kube-router's dependencies in this module's go.mod and go.sum
// (go mod tidy follows imports; the command itself is built by its import path).
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/pkg/cmd"
