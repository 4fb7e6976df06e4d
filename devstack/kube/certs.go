package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const validity = 5 * 365 * 24 * time.Hour

// pki is the directory of the control plane's certificates, keys and authorities.
type pki struct {
	dir string
	// ca signs serving certificates, client certificates and approved CSRs.
	ca *authority
	// frontProxy signs only the apiserver's client certificate for aggregated APIs, whose
	// requests carry the user in headers: no other holder of a certificate may do that.
	frontProxy *authority
}

// authority is a CA whose certificate and key are <name>.pem and <name>-key.pem in dir.
type authority struct {
	dir  string
	cert *x509.Certificate
	key  crypto.Signer
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

// ensurePKI loads the authorities under dir, creating them on first start.
func ensurePKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := ensureAuthority(dir, "ca", "havre-kube-ca")
	if err != nil {
		return nil, err
	}
	frontProxy, err := ensureAuthority(dir, "front-proxy-ca", "havre-kube-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	return &pki{dir: dir, ca: ca, frontProxy: frontProxy}, nil
}

func ensureAuthority(dir, name, cn string) (*authority, error) {
	certPath, keyPath := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if !exists(certPath) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := template(cn, nil)
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			return nil, err
		}
		// Key first: a CA certificate without its key would never be recreated.
		if err := writeKey(keyPath, key); err != nil {
			return nil, err
		}
		if err := writePEM(certPath, "CERTIFICATE", der, 0o644); err != nil {
			return nil, err
		}
	}
	cert, err := readCert(certPath)
	if err != nil {
		return nil, err
	}
	key, err := readKey(keyPath)
	if err != nil {
		return nil, err
	}
	return &authority{dir: dir, cert: cert, key: key}, nil
}

// leaf describes a certificate to issue: files <name>.pem and <name>-key.pem.
type leaf struct {
	name, cn string
	orgs     []string
	usages   []x509.ExtKeyUsage
	dns      []string
	ips      []net.IP
}

// issue writes the leaf's certificate, signed by the authority, and key, unless they exist
// with the same names and addresses (a stack whose addresses changed gets new ones).
func (a *authority) issue(l leaf) error {
	certPath, keyPath := filepath.Join(a.dir, l.name+".pem"), filepath.Join(a.dir, l.name+"-key.pem")
	if exists(certPath) && exists(keyPath) {
		if cert, err := readCert(certPath); err == nil && sameNames(cert, l) {
			return nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := template(l.cn, l.orgs)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = l.usages
	tmpl.DNSNames, tmpl.IPAddresses = l.dns, l.ips
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return err
	}
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writePEM(certPath, "CERTIFICATE", der, 0o644)
}

// serviceAccountKey creates (once) the key pair that signs and verifies service-account tokens.
func (p *pki) serviceAccountKey() error {
	if exists(p.path("sa.pub")) && exists(p.path("sa-key.pem")) {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := writeKey(p.path("sa-key.pem"), key); err != nil {
		return err
	}
	return writePEM(p.path("sa.pub"), "PUBLIC KEY", pub, 0o644)
}

// writeKubeconfig writes a kubeconfig for server that authenticates with the client cert <name>.
func (p *pki) writeKubeconfig(path, server, name string) error {
	ca, err := os.ReadFile(p.path("ca.pem"))
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(p.path(name + ".pem"))
	if err != nil {
		return err
	}
	key, err := os.ReadFile(p.path(name + "-key.pem"))
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["havre"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts["havre"] = &clientcmdapi.Context{Cluster: "havre", AuthInfo: name}
	cfg.CurrentContext = "havre"
	// Written every start: the server's port may differ from the last run.
	return clientcmd.WriteToFile(*cfg, path)
}

func sameNames(cert *x509.Certificate, l leaf) bool {
	if cert.Subject.CommonName != l.cn || len(cert.DNSNames) != len(l.dns) || len(cert.IPAddresses) != len(l.ips) {
		return false
	}
	for i, name := range l.dns {
		if cert.DNSNames[i] != name {
			return false
		}
	}
	for i, ip := range l.ips {
		if !cert.IPAddresses[i].Equal(ip) {
			return false
		}
	}
	return true
}

func template(cn string, orgs []string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(validity),
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writePEM writes through a temporary file so a crash never leaves half a PEM behind.
func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "EC PRIVATE KEY", der, 0o600)
}

func readCert(path string) (*x509.Certificate, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(block.Bytes)
}

func readKey(path string) (crypto.Signer, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	return x509.ParseECPrivateKey(block.Bytes)
}

func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block, nil
}
