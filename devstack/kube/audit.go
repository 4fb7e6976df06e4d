package main

import (
	"os"
	"path/filepath"
)

// Requests of service accounts outside kube-system, at Metadata level (who, verb, resource,
// answer; never a body): the record of what an operator really does, which the Helm chart's
// test compares with the rights its ClusterRoles grant. Nodes and the control plane's own
// controllers are left out, so the log stays small.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    userGroups: ["system:serviceaccounts:kube-system", "system:nodes"]
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
`

// auditArgs writes the audit policy beside the control plane's data and returns the
// apiserver flags that record into dataDir/audit.log (JSON lines, rotated at 50 MB).
func auditArgs(dataDir string) ([]string, error) {
	policy := filepath.Join(dataDir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, err
	}
	return []string{
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + filepath.Join(dataDir, "audit.log"),
		"--audit-log-format=json",
		"--audit-log-maxsize=50",
		"--audit-log-maxbackup=1",
	}, nil
}
