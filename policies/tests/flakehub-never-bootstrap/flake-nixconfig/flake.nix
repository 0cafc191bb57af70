{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  nixConfig = {
    # expect: flakehub-never-bootstrap.substituter
    extra-substituters = [ "https://attic.honey.internal/main" "https://cache.flakehub.com" ];
    # ok: flakehub-never-bootstrap
    extra-trusted-public-keys = [ "honey:AAAA" ];
  };

  outputs = { self, nixpkgs }: { };
}
