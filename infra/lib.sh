# shellcheck shell=bash disable=SC2034
# (SC2034: the constants here are read by the scripts that source this file.)
# Shared by the scripts in infra/: the names of the cloud resources they
# create, option checks, project and region resolution, and command running
# that honours dry-run mode.
#
# Usage: source it from a script in infra/ after `set -euo pipefail`; the
# script must define a `usage` function first.

if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 404)); then
  printf 'error: these scripts need bash 4.4 or later (macOS: brew install bash)\n' >&2
  exit 1
fi

REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"

# Every resource the scripts create carries this label or one of these names,
# so destroy.sh can remove exactly what was made and nothing else.
readonly RESOURCE_LABEL_KEY="app"
readonly RESOURCE_LABEL_VALUE="flight-recorder"
readonly FUNCTIONS_ACCOUNT_ID="flight-recorder-fn"
readonly DASHBOARD_ACCOUNT_ID="flight-recorder-dashboard"
readonly DASHBOARD_SERVICE="flight-recorder-dashboard"

# Secret Manager secrets, as ENV_VAR=secret-name: the functions read the first
# three, the dashboard reads the last. Values live only in Secret Manager.
readonly -a FUNCTION_SECRETS=(
  "GOOGLE_API_KEY=flight-recorder-google-api-key"
  "MONGODB_URI=flight-recorder-mongodb-uri"
  "API_KEYS=flight-recorder-api-keys"
)
readonly -a DASHBOARD_SECRETS=(
  "FLIGHT_RECORDER_API_KEY=flight-recorder-dashboard-api-key"
)

# Written by deploy_functions.sh, read by deploy_dashboard.sh. Not committed.
readonly URLS_FILE_DEFAULT="infra/.function-urls.env"

DRY_RUN="${DRY_RUN:-0}"

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

usage_error() {
  printf 'error: %s\n\n' "$1" >&2
  usage >&2
  exit 2
}

note() {
  printf '%s\n' "$*" >&2
}

is_dry_run() {
  [[ "$DRY_RUN" == "1" || "$DRY_RUN" == "true" ]]
}

# Fails with a usage message unless option $1 was given a value in $2.
need_value() {
  if [[ $# -lt 2 || -z "$2" || "$2" == --* ]]; then
    usage_error "$1 needs a value"
  fi
}

account_email() {
  printf '%s@%s.iam.gserviceaccount.com' "$1" "$2"
}

# Joins the ENV_VAR=secret-name pairs given into the value of --set-secrets.
secret_refs() {
  local refs=() pair
  for pair in "$@"; do
    refs+=("${pair%%=*}=${pair#*=}:latest")
  done
  local IFS=,
  printf '%s' "${refs[*]}"
}

# Prints a command so that it can be pasted back into a shell: words with
# characters the shell would read specially are single-quoted.
show_command() {
  local words=() word
  for word in "$@"; do
    if [[ "$word" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
      words+=("$word")
    else
      words+=("'${word//\'/\'\\\'\'}'")
    fi
  done
  printf '+ %s\n' "${words[*]}"
}

# Runs a command that changes something; in dry-run mode only prints it.
# Standard input is closed so that gcloud never waits on a prompt.
run() {
  if is_dry_run; then
    show_command "$@"
    return 0
  fi
  show_command "$@" >&2
  "$@" </dev/null
}

# Like run, but feeds $1 to the command's standard input, the only way a
# secret value ever reaches gcloud: never as an argument, never printed.
run_with_secret() {
  local value="$1"
  shift
  if is_dry_run; then
    printf '%s  # value piped on stdin, not shown\n' "$(show_command "$@")"
    return 0
  fi
  show_command "$@" >&2
  printf '%s' "$value" | "$@"
}

# Runs a command that changes something, retrying a few times: IAM takes a
# little while to see a service account that was just created.
run_retrying() {
  local attempt
  for attempt in 1 2 3 4; do
    if run "$@"; then
      return 0
    fi
    note "attempt ${attempt} failed; retrying in ${RETRY_DELAY_SECONDS:-10}s"
    sleep "${RETRY_DELAY_SECONDS:-10}"
  done
  run "$@"
}

# True if a read-only lookup succeeds. Lookups run in dry-run mode too, so a
# dry run prints what a real run would change.
exists() {
  "$@" >/dev/null 2>&1 </dev/null
}

gcloud_config() {
  command -v gcloud >/dev/null 2>&1 || return 0
  local value
  value="$(gcloud config get-value "$1" 2>/dev/null </dev/null || true)"
  if [[ "$value" != "(unset)" ]]; then
    printf '%s' "$value"
  fi
}

# Project: the --project value ($1), else GOOGLE_CLOUD_PROJECT, else the
# active gcloud configuration.
resolve_project() {
  local project="${1:-${GOOGLE_CLOUD_PROJECT:-}}"
  if [[ -z "$project" ]]; then
    project="$(gcloud_config project)"
  fi
  if [[ -z "$project" ]]; then
    die "no project: pass --project, set GOOGLE_CLOUD_PROJECT or run" \
      "'gcloud config set project PROJECT_ID'"
  fi
  if [[ ! "$project" =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; then
    die "not a Google Cloud project id: ${project}"
  fi
  printf '%s' "$project"
}

# Region: the --region value ($1), else GOOGLE_CLOUD_REGION, else the active
# gcloud configuration (functions/region, then run/region).
resolve_region() {
  local region="${1:-${GOOGLE_CLOUD_REGION:-}}"
  if [[ -z "$region" ]]; then
    region="$(gcloud_config functions/region)"
  fi
  if [[ -z "$region" ]]; then
    region="$(gcloud_config run/region)"
  fi
  if [[ -z "$region" ]]; then
    die "no region: pass --region, set GOOGLE_CLOUD_REGION or run" \
      "'gcloud config set functions/region REGION'"
  fi
  if [[ ! "$region" =~ ^[a-z]+-[a-z]+[0-9]+$ ]]; then
    die "not a Google Cloud region: ${region}"
  fi
  printf '%s' "$region"
}

require_gcloud() {
  if ! is_dry_run && ! command -v gcloud >/dev/null 2>&1; then
    die "gcloud not found; install the Google Cloud CLI first"
  fi
}
