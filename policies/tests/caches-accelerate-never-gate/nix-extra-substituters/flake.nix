{
  description = "GloriousFlywheel runner bootstrap";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
  # ok: caches-accelerate-never-gate
  nixConfig.extra-substituters = [ "https://attic.honey.internal/main" ];
  # ok: caches-accelerate-never-gate
  nixConfig.substituters = [ "https://cache.nixos.org/" "https://attic.honey.internal/main" ];
  outputs = { self, nixpkgs }: { };
}
