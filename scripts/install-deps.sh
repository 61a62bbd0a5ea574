#!/usr/bin/env bash
# Installs every Debian package nrdfer needs to build, run and test.
# Run as root on a fresh Debian 12 machine; packages already present are kept.
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libdnnl-dev
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
    libjpeg62-turbo-dev libpng-dev
    opencv-data
    libcairo2-dev fonts-dejavu-core
    libcjson-dev libxml2-dev
    libopenmpi-dev openmpi-bin
    python3-torch python3-numpy python3-pil python3-torchvision
    ffmpeg
    # Tests only: OpenCV's Haar cascade checks that synthetic faces are
    # detectable, and the predict tests compare their detector with it.
    python3-opencv
    # Test videos of the predict tests: Megamind.avi (opencv-doc) and
    # movie-hello.mp4 (forensics-samples-files).
    opencv-doc forensics-samples-files
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root to install them" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
