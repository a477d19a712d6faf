{{/* The release's name, cut to what Kubernetes names allow. */}}
{{- define "tidings.fullname" -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- end -}}

{{- define "tidings.labels" -}}
app.kubernetes.io/name: tidings
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "tidings.secretName" -}}
{{- if .Values.existingSecret -}}
{{ .Values.existingSecret }}
{{- else -}}
{{ include "tidings.fullname" . }}-keys
{{- end -}}
{{- end -}}

{{/*
What both roles run with: the image, the shared settings and keys, the probes, the data volume. Called with
(dict "root" . "role" "api" or "worker" "resources" its resources).
*/}}
{{- define "tidings.pod" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
containers:
  - name: tidings
    image: "{{ .root.Values.image.repository }}:{{ .root.Values.image.tag | default .root.Chart.AppVersion }}"
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    args: ["serve", "--role", {{ .role | quote }}]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["ALL"]
    ports:
      - name: http
        containerPort: 8080
    env:
      - name: TIDINGS_DATABASE_URL
        valueFrom:
          secretKeyRef:
            name: {{ include "tidings.secretName" .root }}
            key: TIDINGS_DATABASE_URL
      - name: TIDINGS_MASTER_KEY
        valueFrom:
          secretKeyRef:
            name: {{ include "tidings.secretName" .root }}
            key: TIDINGS_MASTER_KEY
      - name: TIDINGS_ADMIN_KEY
        valueFrom:
          secretKeyRef:
            name: {{ include "tidings.secretName" .root }}
            key: TIDINGS_ADMIN_KEY
            optional: true
      {{- if .root.Values.publicUrl }}
      - name: TIDINGS_PUBLIC_URL
        value: {{ .root.Values.publicUrl | quote }}
      {{- end }}
      - name: TIDINGS_LOG_LEVEL
        value: {{ .root.Values.logLevel | quote }}
      {{- if .root.Values.extraEnv }}
      {{- toYaml .root.Values.extraEnv | nindent 6 }}
      {{- end }}
    # Liveness: the process answers. Readiness: it also reaches the database.
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: 10
      failureThreshold: 3
    readinessProbe:
      httpGet:
        path: /readyz
        port: http
      periodSeconds: 5
      failureThreshold: 2
    resources:
      {{- toYaml .resources | nindent 6 }}
    volumeMounts:
      - name: data
        mountPath: /data
      - name: tmp
        mountPath: /tmp
# SIGTERM lets requests in flight finish (5 s grace) and the workers hand back what they hold.
terminationGracePeriodSeconds: 30
volumes:
  - name: data
    {{- if .root.Values.files.existingClaim }}
    persistentVolumeClaim:
      claimName: {{ .root.Values.files.existingClaim }}
    {{- else }}
    emptyDir: {}
    {{- end }}
  - name: tmp
    emptyDir: {}
{{- end -}}

{{/* The keys every pod reads from the Secret; a change restarts the pods (their annotation is its checksum). */}}
{{- define "tidings.secretData" -}}
TIDINGS_DATABASE_URL: {{ required "databaseUrl is required (postgres://…), or existingSecret" .Values.databaseUrl | b64enc | quote }}
TIDINGS_MASTER_KEY: {{ required "masterKey is required: openssl rand -base64 32, or existingSecret" .Values.masterKey | b64enc | quote }}
{{- if .Values.adminKey }}
TIDINGS_ADMIN_KEY: {{ .Values.adminKey | b64enc | quote }}
{{- end }}
{{- end -}}
