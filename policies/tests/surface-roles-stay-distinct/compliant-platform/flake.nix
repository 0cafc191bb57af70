{
  description = "GloriousFlywheel runner bootstrap";
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
  # ok: surface-roles-stay-distinct
  nixConfig.extra-substituters = [ "https://attic.honey.internal/main" ];
  outputs = { self, nixpkgs }: { };
}
