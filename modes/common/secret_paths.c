/* SPDX-License-Identifier: MIT */
#include "modes/common/secret_paths.h"

const char *const sbx_secret_paths[] = {
    /* keys and agents' material */
    ".ssh", ".gnupg", ".password-store", ".local/share/keyrings",
    /* clouds and clusters */
    ".aws", ".azure", ".config/gcloud", ".kube", ".docker/config.json",
    ".terraform.d/credentials.tfrc.json", ".vault-token",
    /* forges and package registries */
    ".netrc", ".git-credentials", ".config/gh", ".config/hub", ".npmrc", ".pypirc",
    ".cargo/credentials", ".cargo/credentials.toml", ".pgpass",
    /* browsers' and mail profiles (cookies, saved passwords) */
    ".mozilla", ".thunderbird", ".config/google-chrome", ".config/chromium",
    ".config/BraveSoftware", ".config/microsoft-edge", ".config/vivaldi", ".config/opera",
};
const size_t sbx_n_secret_paths = sizeof sbx_secret_paths / sizeof sbx_secret_paths[0];
