# syntax=docker/dockerfile:1
#
# Images of the cloud and of the recorder (docs/deploying.md, "Containers and systemd"):
#
#   docker build --target cloud -t rekey-cloud .
#   docker build --target recorder -t rekey-recorder .
#
# Both run as the user rekey (uid and gid 10001) on Debian's slim image with their state in
# /var/lib/rekey. No image has an HTTP client, so neither has a HEALTHCHECK: the load balancer
# or the orchestrator probes /healthz (liveness) and /readyz (readiness) itself.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# Builds both programs once. The workspace's rust-version (Cargo.toml) is the oldest toolchain
# that builds them; the registry and target directories are cache mounts, kept between builds.
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p rekey-cloud -p rekey-recorder \
    && install -D -m 0755 -t /out target/release/rekey-cloud target/release/rekey-recorder

# What both images share. The programs link only glibc and libgcc_s (TLS is rustls on aws-lc,
# SQLite is bundled, both built in); the CA certificates are for SMTP over TLS.
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 rekey \
    && useradd --system --uid 10001 --gid rekey --home-dir /var/lib/rekey --no-create-home \
       --shell /usr/sbin/nologin rekey \
    && install -d -o rekey -g rekey -m 0700 /var/lib/rekey
WORKDIR /var/lib/rekey

# The recorder's management plane. It needs --cloud-url and --cloud-key (or
# REKEY_RECORDER_CLOUD_URL and REKEY_RECORDER_CLOUD_KEY). It ends cleanly on SIGTERM: it stops
# its agent and closes its state database.
FROM runtime AS recorder
COPY --from=build /out/rekey-recorder /usr/local/bin/rekey-recorder
ENV REKEY_RECORDER_LISTEN=0.0.0.0:8081 \
    REKEY_RECORDER_DATA_DIR=/var/lib/rekey
USER 10001:10001
VOLUME ["/var/lib/rekey"]
EXPOSE 8081
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rekey-recorder"]

# The cloud (the default target). Its keys are read from /etc/rekey (made by
# `rekey-cloud keygen --dir /etc/rekey`, mounted read-only where the nodes run). SIGTERM drains
# it within --shutdown-timeout-secs (30 by default): give the container longer to stop
# (`docker stop --time 45`, compose's stop_grace_period), or it is killed mid-drain.
FROM runtime AS cloud
COPY --from=build /out/rekey-cloud /usr/local/bin/rekey-cloud
RUN install -d -o rekey -g rekey -m 0700 /etc/rekey
ENV REKEY_CLOUD_LISTEN=0.0.0.0:8080 \
    REKEY_CLOUD_DATA_DIR=/var/lib/rekey
USER 10001:10001
VOLUME ["/var/lib/rekey"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rekey-cloud"]
