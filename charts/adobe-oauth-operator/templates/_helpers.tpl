{{/* Chart name, overridable. */}}
{{- define "aoo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "aoo.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels for every object. */}}
{{- define "aoo.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "aoo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the operator pods; never change them (Deployment selectors are immutable). */}}
{{- define "aoo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aoo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "aoo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aoo.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" when the replicas use kopf peering. */}}
{{- define "aoo.peering" -}}
{{- if gt (int .Values.replicaCount) 1 }}true{{ end }}
{{- end }}

{{- define "aoo.peeringName" -}}
{{- default (include "aoo.fullname" .) .Values.peering.name }}
{{- end }}

{{/* The image by digest when one is given (what runs cannot change under it), else by tag. */}}
{{- define "aoo.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* HOST:PORT of a listener from (list address port); an IPv6 address goes in brackets. */}}
{{- define "aoo.hostPort" -}}
{{- $address := index . 0 }}
{{- if contains ":" $address }}
{{- printf "[%s]:%d" $address (int (index . 1)) }}
{{- else }}
{{- printf "%s:%d" $address (int (index . 1)) }}
{{- end }}
{{- end }}

{{/*
The namespaced rules: exactly the calls the operator makes in a namespace it serves.
- adobeoauthcredentials: kopf lists and watches them and patches its finalizer and annotations
  onto them; the operator reads one by name and removes a spent emergency annotation.
- adobeoauthcredentials/status: the operator merge-patches status.
- secrets: the app Secret is read and patched; the pending Secret <name>-pending is read,
  created, replaced (update) and deleted. No list: Secrets are only ever read by name.
- events: created on the AdobeOAuthCredential, one per step.
- deployments/statefulsets/daemonsets: listed to find the workloads that read the Secret, read
  and patched (pod template annotation) to roll them.
*/}}
{{- define "aoo.namespacedRules" -}}
- apiGroups: [adobe-oauth-operator.dev]
  resources: [adobeoauthcredentials]
  verbs: [get, list, watch, patch]
- apiGroups: [adobe-oauth-operator.dev]
  resources: [adobeoauthcredentials/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create, update, patch, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [get, list, patch]
- apiGroups: [argoproj.io]
  resources: [rollouts]
  verbs: [get, list, patch]
- apiGroups: [batch]
  resources: [cronjobs, jobs]
  verbs: [get, list]
{{- end }}
