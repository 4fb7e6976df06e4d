//go:build tools

// Package karmada pins the Karmada release the local federation builds. Nothing here is
// compiled into a program: the blank imports keep the commands' packages (and so every
// module they need) in go.mod and go.sum, and devstack builds them with
// `go build github.com/karmada-io/karmada/cmd/<name>`.
package karmada

import (
	_ "github.com/karmada-io/karmada/cmd/aggregated-apiserver/app"
	_ "github.com/karmada-io/karmada/cmd/controller-manager/app"
	_ "github.com/karmada-io/karmada/cmd/scheduler/app"
	_ "github.com/karmada-io/karmada/cmd/webhook/app"
)
