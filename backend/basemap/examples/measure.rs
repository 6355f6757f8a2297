//! Measures a build without the server around it (release): `cargo run --release -p siaga-basemap --example
//! measure -- OSM.pbf OUT.pmtiles MAX_ZOOM [--land LAND.geojson] [--bbox W,S,E,N] [REGIONS.geojson ...]`.
//! Run under `/usr/bin/time -v` for the peak memory.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(osm), Some(out), Some(max_zoom)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: measure OSM.pbf OUT.pmtiles MAX_ZOOM [--land FILE] [--bbox W,S,E,N] [REGIONS ...]".into());
    };
    let (mut land, mut bbox, mut regions) = (None, None, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--land" => {
                land = Some(siaga_basemap::read_land(
                    args.next().ok_or("--land FILE")?.as_ref(),
                )?)
            }
            "--bbox" => {
                let v: Vec<f64> = args
                    .next()
                    .ok_or("--bbox W,S,E,N")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
                bbox = Some([v[0], v[1], v[2], v[3]]);
            }
            path => regions.extend(siaga_basemap::read_regions(path.as_ref())?),
        }
    }
    let report = siaga_basemap::build(&siaga_basemap::BuildOptions {
        osm: osm.into(),
        regions,
        land,
        out: out.into(),
        max_zoom: max_zoom.parse()?,
        bbox,
        cancel: None,
    })?;
    println!("{report:#?}");
    Ok(())
}
