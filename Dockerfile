# syntax=docker/dockerfile:1
# intune-audit as a small static image: a musl build in the official Rust image, then only the
# binary on distroless/static (CA certificates, /etc/passwd with a nonroot user, no shell).
#
#   docker build -t intune-audit .
#   docker run --rm intune-audit audit --snapshot /data/tenant.json      (with -v "$PWD:/data")
#   docker run --rm -e AZURE_TENANT_ID -e AZURE_CLIENT_ID -e AZURE_CLIENT_SECRET intune-audit audit
#
# Credentials come from the environment at run time; none is copied into the image.

ARG RUST_VERSION=1.89

FROM rust:${RUST_VERSION}-alpine AS build
# musl-dev: the C runtime for the static link; cmake/perl/make: aws-lc-sys (TLS) builds.
RUN apk add --no-cache musl-dev cmake perl make
WORKDIR /src
# Manifests first, so that the dependency layer is cached between source changes.
COPY Cargo.toml Cargo.lock ./
COPY checks/Cargo.toml checks/Cargo.toml
COPY sim/Cargo.toml sim/Cargo.toml
RUN mkdir -p src checks/src sim/src \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs checks/src/lib.rs sim/src/lib.rs \
 && cargo fetch --locked
COPY . .
RUN cargo build --release --locked --bin intune-audit \
 && cp target/release/intune-audit /intune-audit \
 && /intune-audit --version

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="intune-audit" \
      org.opencontainers.image.description="Audits a Microsoft 365 tenant for the documented causes of failed Windows enrollment" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /intune-audit /usr/local/bin/intune-audit
USER nonroot:nonroot
WORKDIR /data
ENV NO_COLOR=1
ENTRYPOINT ["/usr/local/bin/intune-audit"]
CMD ["--help"]
