package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as upstream's mains
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client metrics, as upstream's mains
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream's mains
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubeletapp "k8s.io/kubernetes/cmd/kubelet/app"
	"k8s.io/kubernetes/pkg/kubelet"
)

// containerLogsEnv names the directory the kubelet links container logs from, instead of
// the machine-wide /var/log/containers (the kubelet exposes it as a variable for tests).
const containerLogsEnv = "HAVRE_KUBELET_CONTAINER_LOGS_DIR"

// runNodeCommand runs one upstream command when name is one of them, exactly as its own
// main would; ok is false for any other name.
func runNodeCommand(name string, args []string) (code int, ok bool) {
	var cmd *cobra.Command
	switch name {
	case "kubelet":
		if dir := os.Getenv(containerLogsEnv); dir != "" {
			kubelet.ContainerLogsDir = dir
		}
		cmd = kubeletapp.NewKubeletCommand(context.Background())
	case "kube-proxy":
		cmd = proxy.NewProxyCommand()
	case "kube-scheduler":
		cmd = scheduler.NewSchedulerCommand()
	default:
		return 0, false
	}
	cmd.SetArgs(args)
	return cli.Run(cmd), true
}

// runChild runs this program again as the upstream command name, sharing our output; the
// child is handed over on started and dies with us. It returns when the child exits.
func runChild(name string, args []string, started chan<- *os.Process) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	cmd := exec.Command(self, append([]string{name}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	started <- cmd.Process
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return fmt.Errorf("%s exited", name)
}
