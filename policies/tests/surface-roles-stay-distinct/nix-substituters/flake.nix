{
  description = "GloriousFlywheel runner bootstrap";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
  nixConfig = {
    # ok: surface-roles-stay-distinct
    extra-substituters = [ "https://attic.honey.internal/main" ];
    # The ledger says cas.honey.internal is the Bazel cache.
    # expect: surface-roles-stay-distinct.bazel-cache-as-substituter
    extra-trusted-substituters = [ "https://cas.honey.internal" ];
  };
  outputs = { self, nixpkgs }: { };
}
