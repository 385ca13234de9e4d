{{/* The metrics Service's name: the `job` label a ServiceMonitor gives the operator's target. */}}
{{- define "aoo.metricsJob" -}}
{{- default (printf "%s-metrics" (include "aoo.fullname" .)) .Values.prometheusRule.job }}
{{- end }}
