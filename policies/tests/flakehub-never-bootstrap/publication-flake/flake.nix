{
  # The runner bootstrap flake pins nixpkgs on GitHub.
  # ok: flakehub-never-bootstrap
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
  outputs = { self, nixpkgs }: { };
}
