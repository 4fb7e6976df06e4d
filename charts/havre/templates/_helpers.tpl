{{/* Names: everything the release creates is named after it, so that two releases never
collide; only what is cluster-wide by nature (CRDs, personas, admission policies) keeps
the API's own names. */}}
{{- define "havre.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "havre.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "havre.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "havre.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "havre.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "havre.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: havre
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "havre.labels" -}}
{{ include "havre.commonLabels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "havre.selectorLabels" -}}
app.kubernetes.io/name: {{ include "havre.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "havre.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "havre.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is needed when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The kopf peering name: one per release, so two releases never pause each other. */}}
{{- define "havre.peering" -}}
{{- include "havre.fullname" . -}}
{{- end -}}

{{- define "havre.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* Every object of files/crds (copied from the repository's crds/ by `make chart`), as a
JSON list. The chart never edits these files: templates pick objects by kind. */}}
{{- define "havre.sourceObjects" -}}
{{- $objects := list -}}
{{- range $path, $_ := .Files.Glob "files/crds/{*.yaml,defaults/*.yaml}" -}}
{{- range $doc := regexSplit "(?m)^---\\s*$" ($.Files.Get $path) -1 -}}
{{- $obj := fromYaml $doc -}}
{{- if hasKey $obj "Error" -}}
{{- fail (printf "%s: %s" $path $obj.Error) -}}
{{- end -}}
{{- if $obj.kind -}}
{{- $objects = append $objects $obj -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $objects -}}
{{- end -}}

{{/* The objects of one kind from files/crds. Objects the chart replaces with its own
(the operator's namespace, service account and binding) are not listed here. */}}
{{- define "havre.sourceOfKind" -}}
{{- $kind := index . 1 -}}
{{- $out := list -}}
{{- range $obj := include "havre.sourceObjects" (index . 0) | fromJsonArray -}}
{{- if eq $obj.kind $kind -}}
{{- $out = append $out $obj -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The ClusterRole havre-operator of crds/operator-rbac.yaml: the operator's rules. */}}
{{- define "havre.operatorRules" -}}
{{- $rules := list -}}
{{- range $role := include "havre.sourceOfKind" (list . "ClusterRole") | fromJsonArray -}}
{{- if eq $role.metadata.name "havre-operator" -}}
{{- $rules = $role.rules -}}
{{- end -}}
{{- end -}}
{{- if not $rules -}}
{{- fail "files/crds holds no ClusterRole havre-operator: run `make chart`" -}}
{{- end -}}
{{- toJson $rules -}}
{{- end -}}

{{/* A cluster-wide API object from files/crds as it is, with the chart's labels added
and, when it must outlive the release, helm.sh/resource-policy: keep. */}}
{{- define "havre.apiObject" -}}
{{- $root := index . 0 -}}
{{- $obj := index . 1 -}}
{{- $keep := index . 2 -}}
{{- $meta := $obj.metadata -}}
{{- $_ := set $meta "labels" (merge (include "havre.commonLabels" $root | fromYaml) ($meta.labels | default dict)) -}}
{{- if $keep -}}
{{- $_ := set $meta "annotations" (merge (dict "helm.sh/resource-policy" "keep") ($meta.annotations | default dict)) -}}
{{- end -}}
{{- toYaml $obj -}}
{{- end -}}

{{/* The rule for the kind of access route the operator renders (access.route), or nothing. */}}
{{- define "havre.routeRule" -}}
{{- if eq .Values.access.route "tlsroute" -}}
apiGroups: ["gateway.networking.k8s.io"]
resources: ["tlsroutes"]
verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- else if eq .Values.access.route "ingress" -}}
apiGroups: ["networking.k8s.io"]
resources: ["ingresses"]
verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- end -}}
{{- end -}}

{{/* The audit receiver (templates/audit): named and labelled apart from the operator, so
that neither's selector picks the other's pods. */}}
{{- define "havre.auditName" -}}
{{- printf "%s-audit" (include "havre.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "havre.auditLabels" -}}
{{ include "havre.commonLabels" . }}
app.kubernetes.io/component: audit
{{- end -}}

{{- define "havre.auditSelectorLabels" -}}
app.kubernetes.io/name: {{ include "havre.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: audit
{{- end -}}
