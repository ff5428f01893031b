#!/usr/bin/env bash
# Deploys the Streamlit dashboard in dashboard/ to Cloud Run, pointed at the
# deployed functions. Run infra/deploy_functions.sh first: its URL file is
# where the dashboard learns the function URLs, unless --base-url is given.
#
# Usage: infra/deploy_dashboard.sh [--project ID] [--region REGION]
#                                  [--urls-file PATH | --base-url URL]
#                                  [--public] [--dry-run]
#
# The dashboard's API key comes from Secret Manager (see setup_secrets.sh).
# Viewers need the Cloud Run invoker role unless --public is given.
set -euo pipefail

# Streamlit keeps each browser session in one instance's memory and talks to
# the browser over a WebSocket, so: session affinity to send a browser back
# to the instance holding its session, and the longest request timeout Cloud
# Run allows, since an open WebSocket counts as one long request. Two
# instances of one vCPU serve a team; each open tab holds one of the
# CONCURRENCY slots while it is connected.
MEMORY="1Gi"
CPU="1"
CONCURRENCY=40
TIMEOUT="3600"
MIN_INSTANCES=0
MAX_INSTANCES=2
PORT=8080
# Cloud Run source deploys build with Google Cloud buildpacks; these settings
# make them start Streamlit without a Procfile or Dockerfile in dashboard/.
BUILD_ENV_VARS="GOOGLE_ENTRYPOINT=streamlit run app.py,GOOGLE_PYTHON_VERSION=3.12.x"
STREAMLIT_ENV_VARS=(
  "STREAMLIT_SERVER_PORT=${PORT}"
  "STREAMLIT_SERVER_HEADLESS=true"
  "STREAMLIT_BROWSER_GATHER_USAGE_STATS=false"
)

INFRA_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'EOF'
Usage: infra/deploy_dashboard.sh [--project ID] [--region REGION]
                                 [--urls-file PATH | --base-url URL]
                                 [--public] [--dry-run]

Deploys dashboard/ to Cloud Run as flight-recorder-dashboard.

  --project ID       Google Cloud project (else GOOGLE_CLOUD_PROJECT, else gcloud config)
  --region REGION    region, e.g. us-central1 (else GOOGLE_CLOUD_REGION, else gcloud config)
  --urls-file PATH   function URLs as written by deploy_functions.sh
                     (default infra/.function-urls.env)
  --base-url URL     one base URL for every function instead of the URL file
  --public           let anyone open the dashboard without signing in
  --dry-run          print the commands that would change something (also DRY_RUN=1)
  -h, --help         show this help
EOF
}

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "${INFRA_DIR}/lib.sh"

parse_options() {
  PROJECT_FLAG=""
  REGION_FLAG=""
  URLS_FILE=""
  BASE_URL=""
  PUBLIC=0
  while (($#)); do
    case "$1" in
      --project) need_value "$@"; PROJECT_FLAG="$2"; shift 2 ;;
      --project=*) PROJECT_FLAG="${1#*=}"; shift ;;
      --region) need_value "$@"; REGION_FLAG="$2"; shift 2 ;;
      --region=*) REGION_FLAG="${1#*=}"; shift ;;
      --urls-file) need_value "$@"; URLS_FILE="$2"; shift 2 ;;
      --urls-file=*) URLS_FILE="${1#*=}"; shift ;;
      --base-url) need_value "$@"; BASE_URL="$2"; shift 2 ;;
      --base-url=*) BASE_URL="${1#*=}"; shift ;;
      --public) PUBLIC=1; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage_error "unknown argument: $1" ;;
    esac
  done
  if [[ -n "$URLS_FILE" && -n "$BASE_URL" ]]; then
    usage_error "give --urls-file or --base-url, not both"
  fi
}

# The source must not upload a local Streamlit secrets file (it holds the API
# key) unless dashboard/.gcloudignore leaves it out.
check_source() {
  [[ -f dashboard/app.py && -f dashboard/requirements.txt ]] ||
    die "dashboard/app.py and dashboard/requirements.txt must exist"

  if [[ -e dashboard/.streamlit/secrets.toml ]] &&
    ! grep -qs '^\.streamlit/secrets\.toml' dashboard/.gcloudignore; then
    die "dashboard/.streamlit/secrets.toml would be uploaded; list" \
      ".streamlit/secrets.toml in dashboard/.gcloudignore"
  fi
}

is_url() {
  [[ "$1" =~ ^https://[^[:space:],]+$ ]]
}

# Prints the URL settings, one NAME=URL a line, from --base-url or the file.
# The file is parsed, not sourced: only FLIGHT_RECORDER_*_URL lines pass.
url_settings() {
  if [[ -n "$BASE_URL" ]]; then
    is_url "$BASE_URL" || die "--base-url is not an https URL: ${BASE_URL}"
    printf 'FLIGHT_RECORDER_BASE_URL=%s\n' "$BASE_URL"
    return 0
  fi

  local file="${URLS_FILE:-$URLS_FILE_DEFAULT}" line number=0 found=0
  [[ -f "$file" ]] ||
    die "${file} not found; run infra/deploy_functions.sh or pass --base-url"
  while IFS= read -r line || [[ -n "$line" ]]; do
    number=$((number + 1))
    [[ -z "$line" || "$line" == \#* ]] && continue
    if [[ ! "$line" =~ ^FLIGHT_RECORDER_[A-Z_]+_URL=(.*)$ ]] ||
      ! is_url "${BASH_REMATCH[1]}"; then
      die "${file}:${number}: expected FLIGHT_RECORDER_<NAME>_URL=https://..."
    fi
    printf '%s\n' "$line"
    found=1
  done <"$file"
  ((found)) || die "${file} lists no function URLs"
}

main() {
  parse_options "$@"
  # A relative --urls-file is read from where the script was started.
  if [[ -n "$URLS_FILE" && "$URLS_FILE" != /* ]]; then
    URLS_FILE="${PWD}/${URLS_FILE}"
  fi
  cd -- "$REPO_ROOT"
  require_gcloud
  PROJECT="$(resolve_project "$PROJECT_FLAG")"
  REGION="$(resolve_region "$REGION_FLAG")"
  check_source

  local urls settings=() env_vars access="--no-allow-unauthenticated"
  urls="$(url_settings)"
  mapfile -t settings <<<"$urls"
  settings+=("${STREAMLIT_ENV_VARS[@]}")
  env_vars="$(IFS=,; printf '%s' "${settings[*]}")"
  if ((PUBLIC)); then
    access="--allow-unauthenticated"
  fi

  run gcloud run deploy "$DASHBOARD_SERVICE" \
    --project="$PROJECT" \
    --region="$REGION" \
    --source=dashboard \
    --set-build-env-vars="$BUILD_ENV_VARS" \
    --service-account="$(account_email "$DASHBOARD_ACCOUNT_ID" "$PROJECT")" \
    --set-env-vars="$env_vars" \
    --set-secrets="$(secret_refs "${DASHBOARD_SECRETS[@]}")" \
    "$access" \
    --session-affinity \
    --timeout="$TIMEOUT" \
    --memory="$MEMORY" \
    --cpu="$CPU" \
    --concurrency="$CONCURRENCY" \
    --min-instances="$MIN_INSTANCES" \
    --max-instances="$MAX_INSTANCES" \
    --port="$PORT" \
    --labels="${RESOURCE_LABEL_KEY}=${RESOURCE_LABEL_VALUE}" \
    --quiet

  if is_dry_run; then
    show_command gcloud run services describe "$DASHBOARD_SERVICE" \
      --project="$PROJECT" --region="$REGION" --format='value(status.url)'
    return 0
  fi
  local url
  url="$(gcloud run services describe "$DASHBOARD_SERVICE" \
    --project="$PROJECT" --region="$REGION" \
    --format='value(status.url)' </dev/null)"
  note "dashboard deployed:"
  printf 'FLIGHT_RECORDER_DASHBOARD_URL=%s\n' "$url"
}

main "$@"
