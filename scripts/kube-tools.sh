#!/usr/bin/env bash
# The offline schema check of deploy/kubernetes/ (test/deploy/kubernetes-manifests.test.ts) needs, in .tools/kube/
# (gitignored), all from package registries (docs/dependencies.md, "Kubernetes manifests"):
#   bin/kubeconform                 kubeconform $KUBECONFORM_VERSION, built from its Go module with the Go toolchain
#   bin/kustomize                   kustomize $KUSTOMIZE_VERSION, likewise: renders deploy/kubernetes as kubectl apply -k does
#   k8s/v<ver>-local-strict/*.json  Kubernetes' JSON schemas (strict: unknown fields are errors) for each version in
#                                   $KUBE_VERSIONS, taken from the PyPI wheel kubernetes-validate $KUBE_VALIDATE_VERSION
#                                   (sha256-checked), which ships them generated from Kubernetes' OpenAPI documents
#   crds/keda.sh/*.json             KEDA $KEDA_VERSION's CRDs (config/crd/bases in its Go module zip) as strict JSON
#                                   schemas, with each used scaler's trigger metadata keys read from the scaler's
#                                   source (scripts/kube-crd-schemas.ts)
# Idempotent: a complete install (marked by .complete holding the versions) is reused as it is. Prints the folder.
# Usage: scripts/kube-tools.sh [--quiet]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBECONFORM_VERSION=v0.8.0
KUSTOMIZE_VERSION=v5.8.2             # v5.8.3 needs Go >= 1.27
KEDA_VERSION=v2.20.2                 # v2.21.x needs Go >= 1.27.4 to be downloaded as a module; this machine has 1.26
KUBE_VALIDATE_VERSION=1.37.0
KUBE_VALIDATE_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
KUBE_VERSIONS="1.32.0 1.37.0"        # the oldest and newest Kubernetes the manifests are checked against
DEST="${FERRY_KUBE_TOOLS:-$ROOT/.tools/kube}"
quiet=0; [ "${1:-}" = --quiet ] && quiet=1
say() { [ "$quiet" = 1 ] || echo "kube-tools: $*" >&2; }
mark="kubeconform=$KUBECONFORM_VERSION kustomize=$KUSTOMIZE_VERSION keda=$KEDA_VERSION kubernetes-validate=$KUBE_VALIDATE_VERSION k8s=$KUBE_VERSIONS converter=$(sha256sum "$ROOT/scripts/kube-crd-schemas.ts" | cut -c1-16)"
if [ -f "$DEST/.complete" ] && [ "$(cat "$DEST/.complete")" = "$mark" ]; then
  say "ready in $DEST"
  echo "$DEST"
  exit 0
fi

mkdir -p "$ROOT/.tools"
exec 8>"$ROOT/.tools/kube.lock"
command -v flock >/dev/null 2>&1 && flock 8
if [ -f "$DEST/.complete" ] && [ "$(cat "$DEST/.complete")" = "$mark" ]; then echo "$DEST"; exit 0; fi

command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || { echo "kube-tools: the Go toolchain is needed to build kubeconform (apt-get install golang-go)" >&2; exit 1; }
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
command -v python3 >/dev/null || { echo "kube-tools: python3 (with pip) is needed to fetch kubernetes-validate" >&2; exit 1; }
partial="$DEST.partial"
rm -rf "$partial"
mkdir -p "$partial/bin" "$partial/k8s" "$partial/crds"
# Go's own module and build caches are the user's (go env GOMODCACHE, GOCACHE): a second clone on the same machine
# (CI's) then links the tools in seconds instead of downloading and compiling them again.
export GOTOOLCHAIN=local

say "building kubeconform $KUBECONFORM_VERSION with $(go version | cut -d' ' -f3)"
GOBIN="$partial/bin" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
say "building kustomize $KUSTOMIZE_VERSION"
GOBIN="$partial/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"

say "fetching kubernetes-validate $KUBE_VALIDATE_VERSION (Kubernetes JSON schemas) from PyPI"
wheel_dir="$partial/wheel"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  "kubernetes-validate==$KUBE_VALIDATE_VERSION" -d "$wheel_dir" >&2
wheel="$(ls "$wheel_dir"/kubernetes_validate-*.whl)"
sum="$(sha256sum "$wheel" | cut -d' ' -f1)"
if [ "$sum" != "$KUBE_VALIDATE_SHA256" ]; then
  echo "kube-tools: $wheel has sha256 $sum, expected $KUBE_VALIDATE_SHA256 (pinned in scripts/kube-tools.sh)" >&2
  exit 1
fi
python3 - "$wheel" "$partial/k8s" $KUBE_VERSIONS <<'PY'
import sys, zipfile, os, json
wheel, dest, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
z = zipfile.ZipFile(wheel)
for v in versions:
    prefix = f"kubernetes_validate/kubernetes-json-schema/v{v}-local-strict/"
    names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith('.json')]
    if not names:
        sys.exit(f"kube-tools: the wheel has no schemas for Kubernetes v{v}")
    os.makedirs(os.path.join(dest, f"v{v}-local-strict"), exist_ok=True)
    for n in names:
        with open(os.path.join(dest, f"v{v}-local-strict", n[len(prefix):]), 'w') as f:
            # The wheel's schemas carry $ids under https://kubernetes.io/api/ and references rooted at /api/, which its
            # own resolver maps; without the $ids and with relative references, they resolve on disk.
            doc = json.loads(z.read(n).replace(b'"/api/_definitions.json#', b'"_definitions.json#'))
            doc.pop('$id', None)
            json.dump(doc, f)
PY
rm -rf "$wheel_dir"

say "fetching KEDA $KEDA_VERSION's CRDs (its Go module)"
keda_dir="$(go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit("kube-tools: go mod download: " + d.get("Error", "no Dir")))')"
node_bin="$ROOT/scripts/node"
"$node_bin" "$ROOT/scripts/kube-crd-schemas.ts" --keda "$keda_dir" --out "$partial/crds"

echo "$mark" > "$partial/.complete"
rm -rf "$DEST"
mv "$partial" "$DEST"
say "ready in $DEST ($(find "$DEST" -name '*.json' | wc -l) schemas)"
echo "$DEST"
