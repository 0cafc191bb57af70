{
  description = "GloriousFlywheel runner bootstrap";

  inputs = {
    # expect: flakehub-never-bootstrap.input
    nixpkgs.url = "https://flakehub.com/f/NixOS/nixpkgs/0.2411.*.tar.gz";
    # ok: flakehub-never-bootstrap
    flake-utils.url = "github:numtide/flake-utils";
    # expect: flakehub-never-bootstrap.input
    attic.url = "https://api.flakehub.com/f/pinned/zhaofengli/attic/0.1.0/0190.tar.gz";
  };

  outputs = { self, nixpkgs, flake-utils, attic }: { };
}
