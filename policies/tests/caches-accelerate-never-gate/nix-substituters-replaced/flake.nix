{
  description = "tinyland-inc/lab runner images";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  nixConfig = {
    # The ledger names cache.tinyland.dev as an Attic endpoint.
    # expect: caches-accelerate-never-gate.nix-substituters
    substituters = [ "https://cache.tinyland.dev/lab" ];
    extra-trusted-public-keys = [ "lab:Zq1u0nW8bGkYc4JtVh2xPd7sRfL3mA9eE5oT6iNpQyU=" ];
  };

  outputs = { self, nixpkgs }: { };
}
