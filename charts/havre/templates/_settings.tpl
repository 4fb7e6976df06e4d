{{/* The operator's settings file (HAVRE_CONFIG; docs/operator.md), without secrets: the
credentials come from Secrets as environment variables, CA bundles as mounted files. */}}
{{- define "havre.caPath" -}}
/etc/havre/ca/{{ . }}/ca.crt
{{- end -}}

{{- define "havre.endpoint" -}}
{{- dict "cidr" .cidr "port" (int .port) | toJson -}}
{{- end -}}

{{- define "havre.metricsSettings" -}}
{{- $m := dict "port" (int .metricsPort) "trino_scraper_user" .trinoScraper.user -}}
{{- with .trinoScraper.namespace }}{{ $_ := set $m "trino_scraper_namespace" . }}{{ end -}}
{{- with .trinoScraper.cidr }}{{ $_ := set $m "trino_scraper_cidr" . }}{{ end -}}
{{- toJson $m -}}
{{- end -}}

{{- define "havre.settings" -}}
{{- $v := .Values -}}
{{- $s := dict
  "gateway_namespace" $v.access.gatewayNamespace
  "username_prefix" $v.operator.usernamePrefix
  "operator_service_account" (printf "%s/%s" .Release.Namespace (include "havre.serviceAccountName" .))
  "trino_port" (int $v.trino.port)
  "repair_interval" $v.operator.repairInterval
  "metrics" (include "havre.metricsSettings" $v.monitoring | fromJson) -}}
{{- if $v.objectStore.enabled -}}
{{- $_ := set $s "object_store" (include "havre.endpoint" $v.objectStore.egress | fromJson) -}}
{{- $storage := dict "url" $v.objectStore.url -}}
{{- if $v.objectStore.caBundle.configMap -}}
{{- $_ := set $storage "ca_file" (include "havre.caPath" "object-store") -}}
{{- end -}}
{{- $_ := set $s "storage" $storage -}}
{{- end -}}
{{- if $v.catalogDatabase.enabled -}}
{{- $_ := set $s "catalog_database" (include "havre.endpoint" $v.catalogDatabase.egress | fromJson) -}}
{{- $catalog := dict "host" $v.catalogDatabase.host "port" (int $v.catalogDatabase.port) "sslmode" $v.catalogDatabase.sslmode -}}
{{- if $v.catalogDatabase.caBundle.configMap -}}
{{- $_ := set $catalog "ca_file" (include "havre.caPath" "catalog-database") -}}
{{- end -}}
{{- $_ := set $s "catalog" $catalog -}}
{{- end -}}
{{- with $v.identityProvider.groups -}}
{{- if .enabled -}}
{{- $identity := dict "url" .url "realm" .realm "client_id" .clientId "group_root" .groupRoot -}}
{{- if $v.identityProvider.caBundle.configMap -}}
{{- $_ := set $identity "ca_file" (include "havre.caPath" "identity-provider") -}}
{{- end -}}
{{- $_ := set $s "identity" $identity -}}
{{- end -}}
{{- end -}}
{{- if $v.identityProvider.egress -}}
{{- $_ := set $s "identity_provider" (include "havre.endpoint" $v.identityProvider.egress | fromJson) -}}
{{- end -}}
{{- if $v.trino.enabled -}}
{{- $trino := dict
  "identity_issuer" $v.identityProvider.issuer
  "identity_jwks_url" $v.identityProvider.jwksUrl
  "audience" $v.identityProvider.audience
  "image" (printf "%s:%s" $v.trino.image.repository $v.trino.image.tag)
  "tls_ca_secret" (printf "%s/%s" .Release.Namespace ($v.trino.tls.caSecret | default "havre-platform-ca"))
  "extra_dns_names" $v.trino.extraDnsNames -}}
{{- if $v.identityProvider.caBundle.configMap -}}
{{- $_ := set $trino "ca_bundle_file" (include "havre.caPath" "identity-provider") -}}
{{- end -}}
{{- with $v.trino.objectStoreUrl }}{{ $_ := set $trino "object_store_url" . }}{{ end -}}
{{- with $v.trino.catalogHost }}{{ $_ := set $trino "catalog_host" . }}{{ end -}}
{{- with $v.trino.catalogPort }}{{ $_ := set $trino "catalog_port" (int .) }}{{ end -}}
{{- with $v.trino.tls.certManagerIssuer }}{{ $_ := set $trino "cert_manager_issuer" . }}{{ end -}}
{{- $_ := set $s "trino" $trino -}}
{{- end -}}
{{- if $v.audit.enabled -}}
{{- $_ := set $s "audit" (include "havre.auditSettings" . | fromYaml) -}}
{{- $_ := set $s "audit_receiver" (include "havre.endpoint" $v.audit.egress | fromJson) -}}
{{- end -}}
{{- $access := dict "route" $v.access.route -}}
{{- with $v.access.hostname }}{{ $_ := set $access "hostname" . }}{{ end -}}
{{- with $v.access.gateway }}{{ $_ := set $access "gateway" . }}{{ end -}}
{{- with $v.access.gatewayListener }}{{ $_ := set $access "gateway_listener" . }}{{ end -}}
{{- with $v.access.ingressClassName }}{{ $_ := set $access "ingress_class" . }}{{ end -}}
{{- with $v.access.ingressAnnotations }}{{ $_ := set $access "ingress_annotations" . }}{{ end -}}
{{- $_ := set $s "access" $access -}}
{{- toYaml $s -}}
{{- end -}}


{{/* The audit settings the operator and the receiver share (the key comes from its Secret). */}}
{{- define "havre.auditSettings" -}}
{{- $v := .Values -}}
{{- $audit := dict
  "receiver_url" (printf "https://%s.%s.svc:%d" (include "havre.auditName" .) .Release.Namespace (int $v.audit.port))
  "bucket" $v.audit.bucket
  "retention_days" (int $v.audit.retentionDays) -}}
{{- if $v.audit.tls.caBundle.configMap -}}
{{- $_ := set $audit "ca_file" (include "havre.caPath" "audit-receiver") -}}
{{- end -}}
{{- toYaml $audit -}}
{{- end -}}

{{/* The receiver's settings file: the object store (its keys from a Secret) and the trail;
nothing of the operator's other settings, whose credentials it never holds. */}}
{{- define "havre.auditReceiverSettings" -}}
{{- $v := .Values -}}
{{- $audit := include "havre.auditSettings" . | fromYaml -}}
{{- $_ := set $audit "listen" (printf "0.0.0.0:%d" (int $v.audit.port)) -}}
{{- $_ := set $audit "tls_cert_file" "/etc/havre/audit-tls/tls.crt" -}}
{{- $_ := set $audit "tls_key_file" "/etc/havre/audit-tls/tls.key" -}}
{{- $_ := set $audit "metrics_port" (int $v.audit.metricsPort) -}}
{{- $_ := unset $audit "ca_file" -}}
{{- $storage := dict "url" $v.objectStore.url -}}
{{- if $v.objectStore.caBundle.configMap -}}
{{- $_ := set $storage "ca_file" (include "havre.caPath" "object-store") -}}
{{- end -}}
{{- toYaml (dict "storage" $storage "audit" $audit) -}}
{{- end -}}
