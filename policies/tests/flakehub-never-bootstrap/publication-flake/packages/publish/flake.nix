{
  description = "Publication flake: what FlakeHub serves for discovery, never used to boot runners";
  # ok: flakehub-never-bootstrap
  inputs.gloriousflywheel.url = "https://flakehub.com/f/tinyland-inc/GloriousFlywheel/*.tar.gz";
  outputs = { self, gloriousflywheel }: { };
}
