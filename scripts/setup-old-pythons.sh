#!/usr/bin/env bash
# Installs (once) with pyenv the Pythons that tests/e2e_pythons.rs runs ptvsd on besides the
# venvs' 3.11: 2.7 and 3.6, which App Service sites ran. Skipped for a version whose
# PTVSD_DAP_PYTHON_2_7 / PTVSD_DAP_PYTHON_3_6 names an interpreter. pyenv builds each from source
# (it needs python.org and the build dependencies of CPython), so a missing version costs minutes.
set -euo pipefail

pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
pyenv="$(command -v pyenv || echo "$pyenv_root/bin/pyenv")"

for version in 2.7.18 3.6.15; do
    override="PTVSD_DAP_PYTHON_$(echo "${version%.*}" | tr . _)"
    [ -n "${!override:-}" ] && continue
    [ -x "$pyenv_root/versions/$version/bin/python" ] && continue
    if [ ! -x "$pyenv" ]; then
        echo "setup-old-pythons: Python $version is missing and pyenv is not installed: install pyenv, or set $override" >&2
        exit 1
    fi
    # CPython's build dependencies on Debian, when this runs as root (CI's .ci/run does).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        missing=()
        for package in build-essential zlib1g-dev libssl-dev libffi-dev libbz2-dev libreadline-dev libsqlite3-dev; do
            dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
        done
        if [ "${#missing[@]}" -gt 0 ]; then
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
        fi
    fi
    echo "setup-old-pythons: pyenv install -s $version (built from source, a few minutes)" >&2
    PYENV_ROOT="$pyenv_root" "$pyenv" install -s "$version" >&2
done
