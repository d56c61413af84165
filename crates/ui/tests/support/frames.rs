//! Frame times with a five-year history open (a measurement, not an assertion):
//! `cargo test --release -p trellis-ui --test window -- --ignored frame_times --nocapture`

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use trellis_ui::Screen;

use crate::support::*;

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:6.2} ms   p90 {:6.2} ms   max {:6.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
        ms(times[times.len() - 1])
    )
}

#[test]
#[ignore = "a measurement; builds five years of history first"]
fn frame_times() {
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    {
        let (mut alex, mut sam) = trellis_workload::pair_profiles(tmp.path()).unwrap();
        let built =
            trellis_workload::build(&mut alex, &mut sam, &trellis_workload::Plan::five_years())
                .unwrap();
        println!("built {built:?} in {:.1?}", started.elapsed());
    }
    let opened = Instant::now();
    let mut h = open(&tmp.path().join("alex"));
    wait(&mut h, "the five-year profile to open", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.snapshot().view.is_some())
    });
    println!(
        "opened (node start, load, first view) in {:.1?}",
        opened.elapsed()
    );
    if h.query_by_label("Later").is_some() {
        // This generated couple never compared its safety number.
        click(&mut h, "Later");
    }
    let view = snap(&h).view.clone().unwrap();
    println!(
        "{} agreements, {} check-ins, {} repairs, {} appreciations, {} weeks",
        view.agreements.len(),
        view.checkins.len(),
        view.repairs.len(),
        view.appreciations.len(),
        view.weeks.len()
    );
    println!("frame = one full egui pass of the window (layout and input; no GPU):");
    for screen in Screen::ALL {
        go(&mut h, screen);
        if screen == Screen::History {
            wait_label_contains(&mut h, "every signature verified");
        }
        if screen == Screen::Journal {
            wait(&mut h, "the journal", |h| {
                h.query_by_label("Your journal is empty").is_some()
            });
        }
        let mut times = Vec::new();
        for i in 0..60 {
            if screen == Screen::History && i % 2 == 0 {
                // Scroll through the years while measuring.
                h.event(egui::Event::PointerMoved(egui::pos2(700.0, 500.0)));
                h.event(egui::Event::MouseWheel {
                    unit: egui::MouseWheelUnit::Point,
                    delta: egui::vec2(0.0, -2000.0),
                    modifiers: egui::Modifiers::default(),
                    phase: egui::TouchPhase::Move,
                    source: egui::MouseWheelSource::Unknown,
                });
            }
            let t = Instant::now();
            h.step();
            times.push(t.elapsed());
        }
        println!("  {:<20} {}", screen.label(), summary(times));
    }
}
