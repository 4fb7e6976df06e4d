// Command havre-kube runs a real Kubernetes control plane: an embedded etcd,
// kube-apiserver and kube-controller-manager in one process, and kube-scheduler as its
// child, all built from the upstream modules and bound to 127.0.0.1. Certificates, keys
// and kubeconfigs live in --data-dir and are kept across restarts.
//
// The same program is the node's kubelet and kube-proxy (`havre-kube kubelet ...`,
// `havre-kube kube-proxy ...`, see node.go), so control plane and node come from one
// build of one module set.
package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	logsapi "k8s.io/component-base/logs/api/v1"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

const issuer = "https://kubernetes.default.svc.cluster.local"

type options struct {
	dataDir        string
	apiserverPort  int
	etcdClientPort int
	etcdPeerPort   int
	cmPort         int
	schedulerPort  int
	// serviceCIDR holds the Services' ClusterIPs; its first address is the "kubernetes" Service's.
	serviceCIDR string
	// podCIDR is the pods' range; the node IPAM controller gives it to the node.
	podCIDR string
	// advertiseAddress is where pods and the node reach this apiserver (a host address
	// forwarded to 127.0.0.1); empty when no node joins, and the "kubernetes" Service then
	// has no endpoint.
	advertiseAddress string
	controllers      string
	// authConfig is an AuthenticationConfiguration file (OIDC issuers); empty for none.
	authConfig string
}

func main() {
	if len(os.Args) > 1 {
		if code, ok := runNodeCommand(os.Args[1], os.Args[2:]); ok {
			os.Exit(code)
		}
	}
	var o options
	fs := flag.NewFlagSet("havre-kube", flag.ExitOnError)
	fs.StringVar(&o.dataDir, "data-dir", "", "directory for etcd data, certificates and kubeconfigs")
	fs.IntVar(&o.apiserverPort, "apiserver-port", 16443, "kube-apiserver secure port")
	fs.IntVar(&o.etcdClientPort, "etcd-client-port", 12379, "etcd client port")
	fs.IntVar(&o.etcdPeerPort, "etcd-peer-port", 12380, "etcd peer port")
	fs.IntVar(&o.cmPort, "controller-manager-port", 16457, "kube-controller-manager secure port")
	fs.IntVar(&o.schedulerPort, "scheduler-port", 16459, "kube-scheduler secure port")
	fs.StringVar(&o.serviceCIDR, "service-cidr", "10.0.0.0/24", "Services' ClusterIP range")
	fs.StringVar(&o.podCIDR, "pod-cidr", "", "pods' range, allocated whole to the node (none if empty)")
	fs.StringVar(&o.advertiseAddress, "advertise-address", "", "address the node and pods reach the apiserver at")
	fs.StringVar(&o.controllers, "controllers", "*", "kube-controller-manager controllers to run (a Karmada hub needs only a few)")
	fs.StringVar(&o.authConfig, "authentication-config", "", "kube-apiserver --authentication-config file (JWT issuers)")
	_ = fs.Parse(os.Args[1:])
	if o.dataDir == "" {
		fmt.Fprintln(os.Stderr, "havre-kube: --data-dir is required")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "havre-kube:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	// Both components apply the same logging configuration; the second must not fail on it.
	logsapi.ReapplyHandling = logsapi.ReapplyHandlingIgnoreUnchanged
	dataDir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	p, err := preparePKI(dataDir, o)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	etcd, err := startEtcd(dataDir, p, o)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()

	// The controller manager's command first: building its flags changes a feature gate
	// default, which the shared gates refuse once the apiserver has added its flags.
	cm := controllermanager.NewControllerManagerCommand()
	// The apiserver command owns the process's signal handling: on SIGTERM it shuts down
	// gracefully and Execute returns nil.
	api := apiserver.NewAPIServerCommand()
	errs := make(chan error, 3)
	audit, err := auditArgs(dataDir)
	if err != nil {
		return fmt.Errorf("audit policy: %w", err)
	}
	go func() { errs <- execute("kube-apiserver", api, append(apiserverArgs(p, o), audit...)) }()
	go func() {
		// kube-controller-manager gives up on an apiserver that is not healthy within 10 s.
		if err := waitForAPIServer(filepath.Join(dataDir, "admin.kubeconfig")); err != nil {
			errs <- err
			return
		}
		errs <- execute("kube-controller-manager", cm, controllerManagerArgs(dataDir, p, o))
	}()
	go func() { errs <- fmt.Errorf("etcd: %w", <-etcd.Err()) }()
	// kube-scheduler runs as a child process: in this process it would install a second
	// signal handler, which the apiserver's forbids.
	scheduler := make(chan *os.Process, 1)
	go func() {
		if err := waitForAPIServer(filepath.Join(dataDir, "admin.kubeconfig")); err != nil {
			errs <- err
			return
		}
		errs <- runChild("kube-scheduler", schedulerArgs(dataDir, p, o), scheduler)
	}()
	err = <-errs
	select {
	case child := <-scheduler:
		_ = child.Kill()
	default:
	}
	return err
}

// preparePKI creates (once) the CA, serving and client certificates, and writes the kubeconfigs.
func preparePKI(dataDir string, o options) (*pki, error) {
	p, err := ensurePKI(filepath.Join(dataDir, "pki"))
	if err != nil {
		return nil, err
	}
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	loopback := net.ParseIP("127.0.0.1")
	apiserverIPs, err := apiserverAddresses(o)
	if err != nil {
		return nil, err
	}
	issued := []struct {
		by   *authority
		cert leaf
	}{
		{p.ca, leaf{name: "apiserver", cn: "kube-apiserver", usages: server,
			dns: []string{"localhost", "kubernetes", "kubernetes.default",
				"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
			ips: apiserverIPs}},
		// etcd presents this one to clients and peers, and the apiserver presents it to etcd.
		{p.ca, leaf{name: "etcd", cn: "etcd", usages: both, dns: []string{"localhost"}, ips: []net.IP{loopback}}},
		{p.ca, leaf{name: "admin", cn: "havre-admin", orgs: []string{"system:masters"}, usages: client}},
		{p.ca, leaf{name: "controller-manager", cn: "system:kube-controller-manager", usages: client}},
		{p.ca, leaf{name: "scheduler", cn: "system:kube-scheduler", usages: client}},
		// The apiserver's identity towards kubelets (logs, exec, port-forward); the node
		// component binds it to system:kubelet-api-admin, the kubelet checks it by webhook.
		{p.ca, leaf{name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", usages: client}},
		{p.frontProxy, leaf{name: "front-proxy-client", cn: "front-proxy-client", usages: client}},
	}
	for _, i := range issued {
		if err := i.by.issue(i.cert); err != nil {
			return nil, fmt.Errorf("%s certificate: %w", i.cert.name, err)
		}
	}
	if err := p.serviceAccountKey(); err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	url := fmt.Sprintf("https://127.0.0.1:%d", o.apiserverPort)
	for _, name := range []string{"admin", "controller-manager", "scheduler"} {
		if err := p.writeKubeconfig(filepath.Join(dataDir, name+".kubeconfig"), url, name); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func startEtcd(dataDir string, p *pki, o options) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Dir = filepath.Join(dataDir, "etcd")
	// Warnings would report every apiserver health-check connection that closes early.
	cfg.LogLevel = "error"
	// Unset, it is zero and etcd logs every request as slow.
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	clientURL := url.URL{Scheme: "https", Host: fmt.Sprintf("127.0.0.1:%d", o.etcdClientPort)}
	peerURL := url.URL{Scheme: "https", Host: fmt.Sprintf("127.0.0.1:%d", o.etcdPeerPort)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	cfg.InitialCluster = fmt.Sprintf("%s=%s", cfg.Name, peerURL.String())
	// Only holders of a certificate from our CA (the apiserver) may talk to etcd.
	tlsInfo := transport.TLSInfo{
		CertFile:       p.path("etcd.pem"),
		KeyFile:        p.path("etcd-key.pem"),
		TrustedCAFile:  p.path("ca.pem"),
		ClientCertAuth: true,
	}
	cfg.ClientTLSInfo, cfg.PeerTLSInfo = tlsInfo, tlsInfo
	etcd, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-etcd.Server.ReadyNotify():
		return etcd, nil
	case <-time.After(60 * time.Second):
		etcd.Close()
		return nil, fmt.Errorf("not ready after 60s")
	}
}

func apiserverArgs(p *pki, o options) []string {
	args := []string{
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", o.apiserverPort),
		"--cert-dir=" + p.dir,
		"--tls-cert-file=" + p.path("apiserver.pem"),
		"--tls-private-key-file=" + p.path("apiserver-key.pem"),
		"--client-ca-file=" + p.path("ca.pem"),
		// Only the apiserver's own proxy certificate may assert users in headers.
		"--requestheader-client-ca-file=" + p.path("front-proxy-ca.pem"),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + p.path("front-proxy-client.pem"),
		"--proxy-client-key-file=" + p.path("front-proxy-client-key.pem"),
		// Watches would otherwise hold a SIGTERM'd apiserver for its 60 s request timeout.
		"--shutdown-send-retry-after=true",
		fmt.Sprintf("--etcd-servers=https://127.0.0.1:%d", o.etcdClientPort),
		"--etcd-cafile=" + p.path("ca.pem"),
		"--etcd-certfile=" + p.path("etcd.pem"),
		"--etcd-keyfile=" + p.path("etcd-key.pem"),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=" + strings.Join([]string{
			"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "ResourceQuota", "PodSecurity",
		}, ","),
		"--service-account-issuer=" + issuer,
		"--service-account-key-file=" + p.path("sa.pub"),
		"--service-account-signing-key-file=" + p.path("sa-key.pem"),
		"--service-cluster-ip-range=" + o.serviceCIDR,
		// Kubelets are reached at their node's InternalIP and must prove it with a
		// certificate from the cluster CA; the apiserver proves itself with its own.
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-certificate-authority=" + p.path("ca.pem"),
		"--kubelet-client-certificate=" + p.path("apiserver-kubelet-client.pem"),
		"--kubelet-client-key=" + p.path("apiserver-kubelet-client-key.pem"),
	}
	if o.advertiseAddress != "" {
		// The "kubernetes" Service's endpoint: a host address whose port is forwarded to
		// 127.0.0.1, where this apiserver listens.
		args = append(args, "--advertise-address="+o.advertiseAddress)
	} else {
		// Without a node the Service could only point at 127.0.0.1, an invalid endpoint.
		args = append(args, "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none")
	}
	// Structured authentication (GA in 1.34): people sign in with tokens from the identity
	// provider; the file is reloaded by the apiserver when it changes.
	if o.authConfig != "" {
		args = append(args, "--authentication-config="+o.authConfig)
	}
	return args
}

func controllerManagerArgs(dataDir string, p *pki, o options) []string {
	kubeconfig := filepath.Join(dataDir, "controller-manager.kubeconfig")
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--client-ca-file=" + p.path("ca.pem"),
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", o.cmPort),
		"--cert-dir=" + filepath.Join(p.dir, "controller-manager"),
		"--controllers=" + o.controllers,
		"--use-service-account-credentials=true",
		"--root-ca-file=" + p.path("ca.pem"),
		"--service-account-private-key-file=" + p.path("sa-key.pem"),
		"--cluster-signing-cert-file=" + p.path("ca.pem"),
		"--cluster-signing-key-file=" + p.path("ca-key.pem"),
		"--service-cluster-ip-range=" + o.serviceCIDR,
		"--leader-elect=false",
	}
	if o.podCIDR != "" {
		// One node holds the whole pod range: its mask is the node's mask.
		_, pods, _ := net.ParseCIDR(o.podCIDR)
		ones, _ := pods.Mask.Size()
		args = append(args, "--allocate-node-cidrs=true", "--cluster-cidr="+o.podCIDR,
			fmt.Sprintf("--node-cidr-mask-size=%d", ones))
	}
	return args
}

func schedulerArgs(dataDir string, p *pki, o options) []string {
	kubeconfig := filepath.Join(dataDir, "scheduler.kubeconfig")
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--client-ca-file=" + p.path("ca.pem"),
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", o.schedulerPort),
		"--cert-dir=" + filepath.Join(p.dir, "scheduler"),
		"--leader-elect=false",
	}
}

// apiserverAddresses are the IP SANs of the apiserver's certificate: loopback, the
// "kubernetes" Service's ClusterIP and, with a node, the advertised address.
func apiserverAddresses(o options) ([]net.IP, error) {
	_, services, err := net.ParseCIDR(o.serviceCIDR)
	if err != nil {
		return nil, fmt.Errorf("--service-cidr: %w", err)
	}
	first := make(net.IP, len(services.IP))
	copy(first, services.IP)
	first[len(first)-1]++
	ips := []net.IP{net.ParseIP("127.0.0.1"), first}
	if o.advertiseAddress != "" {
		ip := net.ParseIP(o.advertiseAddress)
		if ip == nil {
			return nil, fmt.Errorf("--advertise-address %q is not an IP address", o.advertiseAddress)
		}
		ips = append(ips, ip)
	}
	if o.podCIDR != "" {
		if _, _, err := net.ParseCIDR(o.podCIDR); err != nil {
			return nil, fmt.Errorf("--pod-cidr: %w", err)
		}
	}
	return ips, nil
}

func execute(name string, cmd *cobra.Command, args []string) error {
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// waitForAPIServer polls /readyz with the admin credentials until the apiserver is ready.
func waitForAPIServer(kubeconfig string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.Timeout = 2 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		_, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver not ready after 5m: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
